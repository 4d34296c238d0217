"""Reading a prospect CSV: encoding (UTF-8 with or without BOM, UTF-16 with BOM), delimiter, the header's mapping
to prospect fields, and each row as the values a prospect would get. Pure functions: no database."""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

DELIMITERS = (",", ";", "\t", "|")
MAX_COLUMNS = 100
MAX_CELL_CHARS = 10_000
# Normalised header (lower case, letters and digits only) -> field. `name` is a full name, split at its last space.
HEADERS: dict[str, tuple[str, ...]] = {
    "first_name": ("firstname", "givenname", "forename", "first"),
    "last_name": ("lastname", "surname", "familyname", "last"),
    "name": ("name", "fullname"),
    "emails": ("email", "emails", "emailaddress", "emailaddresses", "mail", "workemail", "personalemail"),
    "phones": ("phone", "phones", "phonenumber", "mobile", "mobilephone", "telephone", "tel", "cell"),
    "location": ("location", "city"),
    "headline": ("headline", "tagline"),
    "current_company": ("company", "currentcompany", "employer", "organization", "organisation", "companyname"),
    "current_title": ("title", "jobtitle", "currenttitle", "position", "role"),
    "tags": ("tags", "tag", "labels"),
    "skills": ("skills", "skill"),
    "links": ("links", "link", "linkedin", "linkedinurl", "linkedinprofile", "profileurl", "url", "website",
              "github", "portfolio"),
    "owner": ("owner", "recruiter", "sourcer"),
}
_BY_HEADER = {alias: name for name, aliases in HEADERS.items() for alias in aliases}
LIST_FIELDS = ("emails", "phones", "tags", "skills", "links")
# Several values in one cell: `;`, `|` or a line break; emails, tags and skills also split on commas.
_SPLIT = {"phones": re.compile(r"[;|\n]"), "links": re.compile(r"[;|\s]")}
_SPLIT_DEFAULT = re.compile(r"[;|,\n]")
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")  # NUL, or a byte that was no UTF-8 / a lone UTF-16 surrogate


class CsvRefused(ValueError):
    """The file cannot be imported at all (encoding, header, quoting): a 422 naming what and where."""

    def __init__(self, message: str, field: str = "file") -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Sheet:
    """A decoded, parsed file: how it was read, the header's mapping and the data rows (line number, cells)."""

    encoding: str
    delimiter: str
    header: list[str]
    columns: dict[str, str]  # header cell -> field
    unknown_columns: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


@dataclass
class RowProblem:
    column: str | None
    message: str


def decode(content: bytes) -> tuple[str, str]:
    """The text and the encoding's name. Bytes that are not valid text are kept as markers (surrogates) so that
    only the rows holding them fail."""
    if content.startswith(codecs.BOM_UTF8):
        return content[3:].decode("utf-8", errors="surrogateescape"), "utf-8-sig"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if len(content) % 2:
            raise CsvRefused("The file starts as UTF-16 but has an odd number of bytes: it is cut or not UTF-16.")
        return content.decode("utf-16", errors="surrogatepass"), "utf-16"
    if content[:200].count(b"\x00") > 20:
        raise CsvRefused("The file looks like UTF-16 without a byte order mark: save it as UTF-8 (or UTF-16 with BOM).")
    return content.decode("utf-8", errors="surrogateescape"), "utf-8"


def _delimiter(first_line: str) -> str:
    """The candidate that occurs most in the header row (a comma when none does)."""
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _normalise(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def map_header(header: list[str]) -> tuple[dict[str, str], list[str]]:
    """Header cell -> field for the cells the mapping knows; the others (and a second column for a one-value
    field) are unknown. A header without first and last name (or a full name) is refused."""
    if len(header) > MAX_COLUMNS:
        raise CsvRefused(f"The header has {len(header)} columns; at most {MAX_COLUMNS}.", "header")
    columns, unknown, taken = {}, [], set()
    for cell in header:
        if _BAD_TEXT.search(cell):
            raise CsvRefused("The header row holds a NUL or bytes that are not valid UTF-8/UTF-16 text.", "header")
        name = _BY_HEADER.get(_normalise(cell))
        if name is None or cell in columns or (name in taken and name not in LIST_FIELDS):
            unknown.append(cell)
            continue
        columns[cell] = name
        taken.add(name)
    if not ({"first_name", "last_name"} <= taken or "name" in taken):
        raise CsvRefused("The header needs a first name and a last name column (or a full name column); see the "
                         "column mapping in the documentation.", "header")
    return columns, unknown


def read(content: bytes, *, max_rows: int) -> Sheet:
    """Decode and parse the whole file; refuse it (CsvRefused) when it cannot be read as a CSV of prospects."""
    text, encoding = decode(content)
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(c.strip() for c in record):
                continue  # blank lines are no rows
            if header is None:
                header = [c.strip() for c in record]
                continue
            rows.append((start, record))
            if len(rows) > max_rows:
                raise CsvRefused(f"The file has more than {max_rows} rows; split it.", "file")
    except csv.Error as exc:
        raise CsvRefused(f"Line {line}: {exc} (a quote that never closes, or text after a closing quote).") from None
    if header is None:
        raise CsvRefused("The file is empty: it needs a header row and at least one row.", "file")
    columns, unknown = map_header(header)
    return Sheet(encoding, delimiter, header, columns, unknown, rows)


def row_values(sheet: Sheet, cells: list[str]) -> tuple[dict[str, Any], list[RowProblem]]:
    """The prospect fields a row gives (blank cells give nothing), or what is wrong with the row."""
    if len(cells) > len(sheet.header):
        return {}, [RowProblem(None, f"The row has {len(cells)} values; the header has {len(sheet.header)} columns.")]
    values: dict[str, Any] = {}
    problems = []
    for header, cell in zip(sheet.header, cells):
        name = sheet.columns.get(header)
        cell = cell.strip()
        if name is None or not cell:
            continue
        if _BAD_TEXT.search(cell):
            problems.append(RowProblem(header, "holds a NUL or bytes that are not valid UTF-8/UTF-16 text"))
        elif len(cell) > MAX_CELL_CHARS:
            problems.append(RowProblem(header, f"longer than {MAX_CELL_CHARS} characters"))
        elif name in LIST_FIELDS:
            parts = [p.strip() for p in _SPLIT.get(name, _SPLIT_DEFAULT).split(cell) if p.strip()]
            values[name] = list(dict.fromkeys([*values.get(name, []), *parts]))
        elif name == "name":
            first, _, last = cell.rpartition(" ")
            values.setdefault("first_name", first or last)
            values.setdefault("last_name", last if first else "")
        else:
            values[name] = cell
    if values.get("last_name") == "":
        problems.append(RowProblem(next(h for h, n in sheet.columns.items() if n == "name"),
                                   "a full name needs a first and a last name"))
    return values, problems


def storable(value: str) -> str:
    """The text as it can be stored and shown: NUL and invalid bytes become U+FFFD."""
    return _BAD_TEXT.sub("\ufffd", value)


def column_of(sheet: Sheet, field_name: str) -> str | None:
    """The header cell a field came from (a full name column for first and last name)."""
    for header, name in sheet.columns.items():
        if name == field_name or (name == "name" and field_name in ("first_name", "last_name")):
            return header
    return None
