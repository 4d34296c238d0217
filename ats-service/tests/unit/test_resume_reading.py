"""Reading resumes without a database: what a file is, hostile files, the fields read from text, the skills
vocabulary, the identity-free text the model sees, and the recorded event."""
import uuid
from datetime import date

import pytest
from ats.resumes.blind import blind_text
from ats.resumes.extract import extract
from ats.resumes.files import Kind, UnsupportedFile, check_docx, sniff
from ats.resumes.models import Resume
from ats.resumes.parsing import parse, phones, work_history
from ats.resumes.skills import vocabulary
from talentkit.errors import Unprocessable

from ..documents import DOCX_TYPE, damaged_pdf, docx, encrypted_pdf, pdf, zip_bomb_docx

RESUME = """Ada Lovelace
ada@example.com | +44 20 7946 0958 | linkedin.com/in/ada-l
Born 10 December 1815. Gender: female.
Senior Software Engineer at Analytical Engines Ltd   Jan 2019 – Present
Kubernetes (k8s), Python, Go and C++; CI/CD with GitHub Actions.
Acme Corp | Backend Developer | 03/2015 - 12/2018
"""


def test_the_kind_of_a_file_comes_from_its_bytes_not_its_name_or_claim():
    assert sniff(pdf(["x"]), "application/octet-stream") == Kind.PDF
    assert sniff(docx(["x"]), DOCX_TYPE) == Kind.DOCX
    assert sniff("plain résumé".encode(), None) == Kind.TEXT
    with pytest.raises(UnsupportedFile, match="says it is application/pdf"):
        sniff(docx(["x"]), "application/pdf")
    with pytest.raises(UnsupportedFile, match="not a PDF"):
        sniff(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png")
    with pytest.raises(UnsupportedFile, match="Legacy Word"):
        sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, None)
    with pytest.raises(Unprocessable, match="empty"):
        sniff(b"", "text/plain")


def test_a_zip_bomb_dressed_as_docx_is_refused_from_its_directory_alone():
    with pytest.raises(Unprocessable) as caught:
        check_docx(zip_bomb_docx(40))
    assert caught.value.errors[0]["type"] == "zip_bomb"


@pytest.mark.parametrize(("content", "kind", "error"), [
    (encrypted_pdf(["Python"]), Kind.PDF, "encrypted_file"),
    (damaged_pdf(), Kind.PDF, "corrupt_file"),
    (b"PK\x03\x04 not really a zip", Kind.DOCX, "corrupt_file"),
])
def test_encrypted_and_damaged_files_are_422_not_500(content, kind, error):
    with pytest.raises(Unprocessable) as caught:
        extract(content, kind)
    assert caught.value.errors[0]["type"] == error


def test_pdf_and_docx_text_is_read_including_docx_tables():
    assert "Kubernetes engineer" in extract(pdf(["Kubernetes engineer"], pages=2), Kind.PDF).text
    assert extract(pdf(["a"], pages=3), Kind.PDF).pages == 3
    text = extract(docx(["Registered nurse"], table=[["Skills", "Phlebotomy, CPR"]]), Kind.DOCX).text
    assert "Registered nurse" in text and "Phlebotomy, CPR" in text


def test_fields_are_read_with_their_confidence():
    fields = parse(RESUME, phone_region="GB", today=date(2026, 12, 1))
    assert fields["emails"] == {"value": ["ada@example.com"], "confidence": 0.98}
    assert fields["phones"]["value"] == ["+442079460958"]  # the 03/2015 - 12/2018 range is no phone number
    assert fields["links"]["value"] == ["https://linkedin.com/in/ada-l"]
    assert fields["skills"]["value"][:5] == ["Kubernetes", "Python", "Go", "C++", "CI/CD"]
    assert fields["current_title"]["value"] == "Senior Software Engineer"
    history = fields["work_history"]["value"]
    assert history[0] | {} == {"title": "Senior Software Engineer", "company": "Analytical Engines Ltd",
                               "start": "2019-01", "end": None, "current": True}
    assert history[1]["title"] == "Backend Developer" and history[1]["company"] == "Acme Corp"
    assert fields["years_of_experience"]["value"] == 11.8  # 03/2015 to 11/2026, the two positions end to end
    assert parse("nothing useful")["emails"] == {"value": [], "confidence": 0.0}


def test_overlapping_positions_count_once_and_stated_years_are_read():
    text = "Engineer, A  2010 - 2015\nConsultant, B  2012 - 2014\n"
    assert [p.company for p in work_history(text)] == ["A", "B"]
    assert parse(text, today=date(2026, 1, 1))["years_of_experience"]["value"] == 6.0
    assert parse("I have 12+ years of experience in sales")["years_of_experience"] == {"value": 12.0, "confidence": 0.6}


def test_the_vocabulary_knows_aliases_and_ordinary_words():
    v = vocabulary()
    assert v.find("k8s and kube, py3 no") == ["Kubernetes"]
    assert v.find("I go to Go meetups") == ["Go"]
    assert v.find("C, C++ and C# but not Objective-C") == ["C", "C++", "C#", "Objective-C"]
    assert v.find("JavaScript and TypeScript") == ["JavaScript", "TypeScript"]
    assert v.find("React Native apps") == ["React Native"]
    assert v.find("ML and qa") == ["Machine Learning"]
    assert v.normalise("K8S") == "Kubernetes" and v.normalise("Underwater basket weaving") == "Underwater basket weaving"
    assert len(v.canonical) > 300


def test_national_phone_numbers_are_read_in_the_configured_region():
    assert phones("call (415) 555-0100", "US") == ["+14155550100"]
    assert phones("call 020 7946 0958", "GB") == ["+442079460958"]


def test_the_text_the_model_sees_has_no_identity():
    blind = blind_text(RESUME)
    for gone in ("Ada", "ada@example.com", "7946", "linkedin", "Born", "female"):
        assert gone not in blind
    assert "Senior Software Engineer at Analytical Engines Ltd" in blind and "Kubernetes" in blind


def test_a_parsed_resume_records_its_event_without_text_or_contact_points():
    fields = parse(RESUME, phone_region="GB", today=date(2026, 12, 1))
    resume = Resume.read(candidate_id=uuid.uuid4(), content=b"%PDF-1.4 x", sha256="ab" * 32, filename="cv.pdf",
                         content_type=Kind.PDF.value, text=RESUME, pages=1, fields=fields, embedding=None, actor="admin")
    resume.parsed({"emails": ["ada@example.com"]})
    [event] = resume.collect_events()
    assert event.type == "ats.resume.parsed.v1" and event.aggregate_id == str(resume.id)
    assert event.data["skills"][:2] == ["Kubernetes", "Python"] and event.data["contact_points_added"] == {"emails": 1}
    assert "ada@example.com" not in str(event.data) and "Lovelace" not in str(event.data)
    assert event.changes["sha256"] == {"before": None, "after": "ab" * 32}
