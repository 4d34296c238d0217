"""Text out of a resume file: PDF with pypdf, DOCX with python-docx, plain text as it is. Parsers of hostile
input fail in many ways; every failure becomes a 422 naming the file, never a 500."""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from ats.resumes.files import Kind, check_docx, decode_text, refuse

MAX_PAGES = 50  # a resume is a few pages: a 2,000-page upload is read no further than this
MAX_TEXT_CHARS = 200_000
log = logging.getLogger("ats.resumes")


@dataclass(frozen=True)
class Extracted:
    text: str
    pages: int  # pages in the file (PDF), else 1


def extract(content: bytes, kind: Kind) -> Extracted:
    """The file's text (cut at MAX_TEXT_CHARS) and page count; 422 for encrypted, corrupt or bomb files."""
    if kind == Kind.PDF:
        result = _pdf(content)
    elif kind == Kind.DOCX:
        result = _docx(content)
    else:
        result = Extracted(decode_text(content) or "", 1)
    text = "\n".join(line.rstrip() for line in result.text.replace("\r\n", "\n").replace("\x00", "").split("\n"))
    return Extracted(text.strip()[:MAX_TEXT_CHARS], result.pages)


def _pdf(content: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    encrypted = refuse("The PDF is password-protected; upload it without a password.", "encrypted_file")
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        # Owner-password-only PDFs (print restrictions) open with the empty user password.
        locked = reader.is_encrypted and not reader.decrypt("")
    except Exception as exc:  # noqa: BLE001 - pypdf raises anything on a broken file
        raise _corrupt(exc) from None
    if locked:
        raise encrypted
    try:
        pages = len(reader.pages)
        parts: list[str] = []
        for page in reader.pages[:MAX_PAGES]:
            parts.append(page.extract_text() or "")
            if sum(map(len, parts)) > MAX_TEXT_CHARS:
                break
    except FileNotDecryptedError:
        raise encrypted from None
    except Exception as exc:  # noqa: BLE001
        raise _corrupt(exc) from None
    return Extracted("\n".join(parts), pages)


def _corrupt(exc: Exception, what: str = "PDF") -> Exception:
    log.info(f"unreadable {what}", extra={"error": f"{type(exc).__name__}: {exc}"[:300]})
    return refuse(f"The {what} could not be read (damaged or not a {'PDF' if what == 'PDF' else 'Word document'}).",
                  "corrupt_file")


def _docx(content: bytes) -> Extracted:
    check_docx(content)
    import docx

    try:
        document = docx.Document(io.BytesIO(content))
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                lines.append("  ".join(dict.fromkeys(cell.text.strip() for cell in row.cells if cell.text.strip())))
    except Exception as exc:  # noqa: BLE001 - python-docx and lxml raise anything on a broken file
        raise _corrupt(exc, "DOCX") from None
    return Extracted("\n".join(lines), 1)
