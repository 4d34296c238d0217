"""A resume's type is decided by its bytes: PDF, Word (.docx) and plain text pass; anything else does not."""
import io
import zipfile

from ats.careers.files import kind_of


def docx(names=("[Content_Types].xml", "word/document.xml")) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in names:
            z.writestr(n, "<xml/>")
    return buf.getvalue()


def test_real_pdf_docx_and_text_are_recognised_by_content():
    assert kind_of(b"%PDF-1.7\n\x00\x01binary\n%%EOF\n") == "pdf"
    assert kind_of(docx()) == "docx"
    assert kind_of(b"Grace Hopper\nCOBOL, compilers\n") == "txt"


def test_renamed_executables_other_zips_and_truncated_files_are_refused():
    assert kind_of(b"MZ\x90\x00\x03\x00\x00\x00") is None
    assert kind_of(docx(("xl/workbook.xml",))) is None  # a spreadsheet is a zip too
    assert kind_of(b"PK\x03\x04garbage") is None
    assert kind_of(b"%PDF-1.7\n\x00\x01 cut short") is None  # no %%EOF: truncated
    assert kind_of(b"\xff\xfe\x00t\x00e\x00x\x00t") is None
    assert kind_of(b"   \n") is None
