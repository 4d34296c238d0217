"""What an uploaded file really is, decided by its bytes (never its name), and the checks that keep a hostile file
from costing more than a resume should: size, a DOCX's uncompressed size and compression ratio before any XML is
read, and text that really is text."""
from __future__ import annotations

import io
import zipfile
from enum import StrEnum

from talentkit.errors import ProblemError, Unprocessable, field_error

MAX_FILE_BYTES = 10 * 1024 * 1024
# A DOCX is a zip: refuse it before parsing when it would inflate past these (a zip bomb is tiny and huge).
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_RATIO = 100  # a resume's XML compresses ~5-15x; a bomb compresses 1000x and more
MAX_ZIP_ENTRIES = 1000


class Kind(StrEnum):
    PDF = "application/pdf"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    TEXT = "text/plain"


GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/x-download"}
DECLARED = {"application/pdf": Kind.PDF, "application/x-pdf": Kind.PDF, Kind.DOCX.value: Kind.DOCX,
            "text/plain": Kind.TEXT, "text/markdown": Kind.TEXT}


class UnsupportedFile(ProblemError):
    status, title, slug = 415, "Unsupported file type", "unsupported-media-type"


def refuse(message: str, type_: str = "invalid_file") -> Unprocessable:
    return Unprocessable(message, errors=[field_error("file", message, type_)])


def sniff(content: bytes, declared: str | None) -> Kind:
    """The file's kind from its content; 415 when it is none we read or not what the upload said it was."""
    if not content:
        raise refuse("The file is empty.", "empty_file")
    kind = _kind_of(content)
    claimed = (declared or "").split(";")[0].strip().lower()
    if kind is None:
        if content.startswith(b"\xd0\xcf\x11\xe0"):
            raise UnsupportedFile("Legacy Word (.doc) files are not read: save the resume as DOCX or PDF.",
                                  errors=[field_error("file", "legacy .doc", "unsupported_type")])
        raise UnsupportedFile("The file is not a PDF, a DOCX or plain text (UTF-8).",
                              errors=[field_error("file", "unrecognised content", "unsupported_type")])
    if claimed not in GENERIC_TYPES and DECLARED.get(claimed) != kind:
        raise UnsupportedFile(f"The file says it is {claimed} but its content is {kind.value}.",
                              errors=[field_error("file", "content does not match the declared type", "type_mismatch")])
    return kind


def _kind_of(content: bytes) -> Kind | None:
    if content[:1024].lstrip().startswith(b"%PDF-"):
        return Kind.PDF
    if content.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        return Kind.DOCX if {"[Content_Types].xml", "word/document.xml"} <= names else None
    return Kind.TEXT if decode_text(content) is not None else None


def decode_text(content: bytes) -> str | None:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM, without control characters; None if it is not text."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if content.startswith(bom):
            break
    else:
        codec = "utf-8"
    try:
        text = content.decode(codec)
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text[:100_000]):
        return None
    return text


def check_docx(content: bytes) -> None:
    """Refuse (422) a DOCX that would unpack too big, compresses like a bomb, is encrypted or has too many parts,
    reading only the zip's directory: nothing is inflated here."""
    try:
        entries = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise refuse("The DOCX is not a readable zip archive.", "corrupt_file") from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise refuse(f"The DOCX has more than {MAX_ZIP_ENTRIES} parts.", "zip_bomb")
    if any(e.flag_bits & 0x1 for e in entries):
        raise refuse("The DOCX is encrypted; upload it without a password.", "encrypted_file")
    if sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
        raise refuse(f"The DOCX would unpack to more than {MAX_UNPACKED_BYTES // 2**20} MB.", "zip_bomb")
    for e in entries:
        if e.file_size > 1024 * 1024 and e.file_size > MAX_RATIO * max(e.compress_size, 1):
            raise refuse(f"The DOCX part {e.filename} compresses more than {MAX_RATIO}:1 (a zip bomb?).", "zip_bomb")
