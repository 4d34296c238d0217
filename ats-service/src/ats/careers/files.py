"""What an uploaded resume really is, decided by its bytes (never by its name or the browser's content type)."""
from __future__ import annotations

import io
import zipfile

MAX_BYTES = 900_000  # the platform refuses request bodies over 1 MB; the form's other fields need the rest
KINDS = {"pdf": "PDF", "docx": "Word (.docx)", "txt": "plain text"}


def kind_of(content: bytes) -> str | None:
    """`pdf`, `docx` or `txt` when the content is one of them, else None."""
    if content.startswith(b"%PDF-") and b"%%EOF" in content[-2048:]:
        return "pdf"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        return "docx" if {"[Content_Types].xml", "word/document.xml"} <= names else None
    if b"\x00" in content:
        return None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    return "txt" if text.strip() and printable >= 0.98 * len(text) else None
