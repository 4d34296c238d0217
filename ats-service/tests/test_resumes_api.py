"""Resume uploads over HTTP on the real app and PostgreSQL: real PDF and DOCX files made here, what is read from
them, the profile gaining contact points, the event on Kafka, dedupe, download, and every bad file refused with a
clear 4xx and nothing stored."""
from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text
from talent_dev.testing import PROBLEM_JSON

from .documents import DOCX_TYPE, damaged_pdf, docx, encrypted_pdf, pdf, zip_bomb_docx


def resume_lines(marker: str, email: str) -> list[str]:
    return ["Ada Lovelace", f"{email} | +44 20 7946 0958 | linkedin.com/in/{marker}",
            f"Senior Platform Engineer at Analytical Engines {marker}  Jan 2019 - Present",
            "Kubernetes (k8s), Python, Terraform and PostgreSQL in production.",
            "Acme Corp | Backend Developer | 03/2015 - 12/2018"]


async def upload(ats, candidate_id: str, content: bytes, *, name: str = "cv.pdf", content_type: str = "application/pdf"):
    return await ats.client.post(f"/v1/candidates/{candidate_id}/resumes", files={"file": (name, content, content_type)})


async def stored(ats, candidate_id: str) -> int:
    async with ats.engine.connect() as conn:
        return (await conn.execute(text("SELECT count(*) FROM resumes WHERE candidate_id = :c"), {"c": candidate_id})).scalar_one()


async def test_a_pdf_resume_is_read_and_its_new_contact_points_join_the_profile(ats):
    candidate = (await ats.create(emails=[ats.new_email()], phones=["+44 20 7946 0958"], links=[])).json()
    marker, email = uuid.uuid4().hex[:8], ats.new_email("resume")
    r = await upload(ats, candidate["id"], pdf(resume_lines(marker, email), pages=2), name="Ada CV.pdf")
    assert r.status_code == 201, r.text
    resume = r.json()
    assert resume["content_type"] == "application/pdf" and resume["pages"] == 2 and resume["filename"] == "Ada CV.pdf"
    fields = resume["fields"]
    assert {"Kubernetes", "Python", "Terraform", "PostgreSQL"} <= set(fields["skills"]["value"])
    assert fields["skills"]["confidence"] > 0.5 and fields["emails"]["value"] == [email]
    assert fields["current_title"]["value"] == "Senior Platform Engineer"
    assert fields["work_history"]["value"][1]["company"] == "Acme Corp"
    after = (await ats.client.get(f"/v1/candidates/{candidate['id']}")).json()
    assert after["emails"] == [*candidate["emails"], email]
    assert after["phones"] == ["+44 20 7946 0958"]  # the same number, written otherwise, is not added twice
    assert after["links"] == [f"https://linkedin.com/in/{marker}"] and after["version"] == candidate["version"] + 1
    records = await ats.events_for(resume["id"], topic="ats.resumes", until=lambda rs: len(rs) >= 1)
    data = json.loads(records[0].value)
    assert dict(records[0].headers)["ce_type"] == b"ats.resume.parsed.v1"
    assert data["candidate_id"] == candidate["id"] and data["contact_points_added"] == {"emails": 1, "links": 1}
    assert email not in records[0].value.decode()
    updates = await ats.events_for(candidate["id"], until=lambda rs: any(
        dict(x.headers)["ce_type"] == b"ats.candidate.updated.v1" for x in rs))
    assert any([email in str(await ats.opened(x)) for x in updates])  # sealed on the topic, opened with its key
    assert not any(email in x.value.decode() for x in updates)


async def test_the_same_file_uploaded_twice_is_one_resume(ats):
    candidate = (await ats.create(emails=[ats.new_email()])).json()
    content = docx(["Registered nurse", "Intensive care (ICU), phlebotomy"], table=[["Skills", "CPR, Patient Care"]])
    first = await upload(ats, candidate["id"], content, name="cv.docx", content_type=DOCX_TYPE)
    again = await upload(ats, candidate["id"], content, name="other-name.docx", content_type="application/octet-stream")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert {"Nursing", "Intensive Care", "Phlebotomy", "CPR", "Patient Care"} <= set(first.json()["fields"]["skills"]["value"])
    listed = (await ats.client.get(f"/v1/candidates/{candidate['id']}/resumes")).json()["data"]
    assert [x["id"] for x in listed] == [first.json()["id"]] and "text" not in listed[0]


async def test_a_resume_is_read_back_with_its_text_and_downloaded_as_uploaded(ats):
    candidate = (await ats.create(emails=[ats.new_email()])).json()
    content = pdf(["Data scientist: pandas, scikit-learn"])
    resume = (await upload(ats, candidate["id"], content, name="../x;evil.pdf")).json()
    detail = (await ats.client.get(f"/v1/candidates/{candidate['id']}/resumes/{resume['id']}")).json()
    assert "Data scientist" in detail["text"]
    r = await ats.client.get(f"/v1/candidates/{candidate['id']}/resumes/{resume['id']}/file")
    assert r.status_code == 200 and r.content == content and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == 'attachment; filename="..xevil.pdf"'
    assert r.headers["x-content-type-options"] == "nosniff"
    other = (await ats.create(emails=[ats.new_email()])).json()
    assert (await ats.client.get(f"/v1/candidates/{other['id']}/resumes/{resume['id']}/file")).status_code == 404


@pytest.mark.parametrize(("content", "content_type", "status", "error"), [
    (b"", "text/plain", 422, "empty_file"),
    (encrypted_pdf(["Python engineer"]), "application/pdf", 422, "encrypted_file"),
    (damaged_pdf(), "application/pdf", 422, "corrupt_file"),
    (zip_bomb_docx(40), DOCX_TYPE, 422, "zip_bomb"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image/png", 415, "unsupported_type"),
    (docx(["Python"]), "application/pdf", 415, "type_mismatch"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "application/msword", 415, "unsupported_type"),
], ids=["empty", "encrypted-pdf", "damaged-pdf", "zip-bomb", "png", "docx-claiming-pdf", "legacy-doc"])
async def test_a_bad_file_gets_a_clear_4xx_and_nothing_is_stored(ats, content, content_type, status, error):
    candidate = (await ats.create(emails=[ats.new_email()])).json()
    r = await upload(ats, candidate["id"], content, content_type=content_type)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.json()["errors"][0] == r.json()["errors"][0] | {"field": "file", "type": error}
    assert await stored(ats, candidate["id"]) == 0
    assert (await ats.client.get(f"/v1/candidates/{candidate['id']}")).json()["version"] == candidate["version"]


async def test_an_oversize_upload_is_refused_before_it_is_read(ats):
    candidate = (await ats.create(emails=[ats.new_email()])).json()
    big = b"%PDF-1.4\n" + b"0" * (11 * 2**20)
    r = await upload(ats, candidate["id"], big)
    assert r.status_code == 413 and r.headers["content-type"].startswith(PROBLEM_JSON)

    async def chunks():  # no Content-Length: counted as it streams, refused past the limit
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4\n"
        for _ in range(12):
            yield b"0" * 2**20
        yield b"\r\n--b--\r\n"
    r = await ats.client.post(f"/v1/candidates/{candidate['id']}/resumes", content=chunks(),
                              headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413, r.text
    assert await stored(ats, candidate["id"]) == 0


async def test_an_upload_without_a_file_part_or_to_an_unknown_candidate_is_refused(ats):
    candidate = (await ats.create(emails=[ats.new_email()])).json()
    r = await ats.client.post(f"/v1/candidates/{candidate['id']}/resumes", data={"note": "no file"},
                              files={"other": ("a.txt", b"hello", "text/plain")})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file"
    r = await upload(ats, str(uuid.uuid4()), b"plain text resume", content_type="text/plain")
    assert r.status_code == 404


async def test_erasing_a_candidate_erases_their_resumes(ats):
    candidate = (await ats.create(emails=[ats.new_email()])).json()
    resume = (await upload(ats, candidate["id"], b"Kubernetes wizard, Berlin", content_type="text/plain")).json()
    assert (await ats.client.post(f"/v1/candidates/{candidate['id']}/erase", json={"reason": "gdpr_request"})).status_code == 200
    assert (await ats.client.get(f"/v1/candidates/{candidate['id']}/resumes/{resume['id']}")).status_code == 404
    async with ats.engine.connect() as conn:
        row = (await conn.execute(text("SELECT content, text, fields, sha256 FROM resumes WHERE id = :i"), {"i": resume["id"]})).one()
        doc = (await conn.execute(text("SELECT document::text FROM candidate_search WHERE candidate_id = :c"),
                                  {"c": candidate["id"]})).scalar_one()
    assert row.content is None and row.text == "" and row.fields == {} and row.sha256.startswith("erased:")
    assert "kubernet" not in doc and "wizard" not in doc
