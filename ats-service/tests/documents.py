"""Real resume files made by the tests: PDFs with reportlab (and encrypted with pypdf), DOCX with python-docx,
and hostile ones (a zip bomb dressed as a DOCX, a damaged PDF)."""
from __future__ import annotations

import io
import zipfile

from docx import Document
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def pdf(lines: list[str], *, pages: int = 1) -> bytes:
    """A PDF with `lines` of text on each of `pages` pages."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for _ in range(pages):
        y = 800
        for line in lines:
            c.drawString(50, y, line)
            y -= 16
        c.showPage()
    c.save()
    return out.getvalue()


def encrypted_pdf(lines: list[str], password: str = "s3cret") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf(lines))))
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx(lines: list[str], table: list[list[str]] | None = None) -> bytes:
    document = Document()
    for line in lines:
        document.add_paragraph(line)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for col, value in enumerate(row):
                grid.cell(r, col).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bomb_docx(inflated_mb: int = 40) -> bytes:
    """A small file that says it is a DOCX and would inflate to `inflated_mb` MB of XML."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<w:document>" + b" " * (inflated_mb * 2**20) + b"</w:document>")
    return out.getvalue()


def damaged_pdf() -> bytes:
    good = pdf(["Python engineer"])
    return good[:200] + b"\x00garbage" * 50
