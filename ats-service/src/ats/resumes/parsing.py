"""Structured fields read from a resume's text, each with a confidence (0-1: how likely the value is right; 0 when
nothing was found). Contact points by pattern (phones through libphonenumber), skills from the vocabulary, work
history from lines carrying a date range, years of experience from the merged date ranges."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import phonenumbers
from ats.resumes.skills import vocabulary
from email_validator import EmailNotValidError, validate_email

MAX_ITEMS = 20
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}")
_URL = re.compile(r"(?:https?://|www\.|(?<![\w@.])(?:linkedin\.com|github\.com|gitlab\.com)/)[^\s<>()\"'\[\]{}|]+", re.IGNORECASE)
_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = rf"(?:(?P<{{p}}m>{_MONTH})\s+|(?P<{{p}}n>\d{{{{1,2}}}})/)?(?P<{{p}}y>(?:19|20)\d\d)"
_RANGE = re.compile(_DATE.format(p="s") + r"\s*(?:-|–|—|to|until)\s*(?:" + _DATE.format(p="e")
                    + r"|(?P<now>present|current|now|today))", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b\d{1,2}/(?:19|20)\d\d\b")
_STATED_YEARS = re.compile(r"(\d{1,2})\+?\s*(?:years|yrs)(?:\s+of)?\s+(?:professional\s+|relevant\s+|industry\s+)?experience", re.IGNORECASE)
_TITLE_WORDS = re.compile(
    r"\b(engineer|developer|programmer|architect|manager|director|head|lead|analyst|scientist|designer|consultant|"
    r"specialist|officer|intern|administrator|coordinator|assistant|associate|recruiter|accountant|representative|"
    r"executive|technician|writer|editor|nurse|teacher|owner|president|vp|founder|cto|ceo|cfo|partner|advisor|"
    r"sre|devops|tester|strategist|researcher|professor|lecturer|marketer|agent|clerk|supervisor|operator)s?\b", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s+(?:at|@)\s+|\s*[|,;·•]\s*|\s+[-–—]\s+")


@dataclass(frozen=True)
class Position:
    title: str | None
    company: str | None
    start: date
    end: date | None  # None: current

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "company": self.company, "start": self.start.isoformat()[:7],
                "end": self.end.isoformat()[:7] if self.end else None, "current": self.end is None}


def field(value: Any, confidence: float) -> dict[str, Any]:
    return {"value": value, "confidence": round(confidence, 2) if value not in (None, []) else 0.0}


def parse(text: str, *, phone_region: str = "US", today: date | None = None) -> dict[str, dict[str, Any]]:
    """Every field with its confidence, as stored and shown (`{"skills": {"value": [...], "confidence": 0.9}}`)."""
    today = today or date.today()
    history = work_history(text)
    years, years_confidence = years_of_experience(text, history, today)
    current = next((p for p in history if p.end is None), history[0] if history else None)
    full = [p for p in history if p.title and p.company]
    return {
        "emails": field(emails(text), 0.98),
        "phones": field(phones(text, phone_region), 0.9),
        "links": field(links(text), 0.95),
        "skills": field(vocabulary().find(text)[:100], 0.85),
        "work_history": field([p.as_dict() for p in history], 0.4 + 0.4 * len(full) / max(len(history), 1)),
        "current_title": field(current.title if current else None, 0.7 if current and current.end is None else 0.5),
        "years_of_experience": field(years, years_confidence),
    }


def emails(text: str) -> list[str]:
    found = []
    for candidate in _EMAIL.findall(text):
        try:
            found.append(validate_email(candidate, check_deliverability=False).normalized.lower())
        except EmailNotValidError:
            continue
    return list(dict.fromkeys(found))[:MAX_ITEMS]


def phones(text: str, region: str = "US") -> list[str]:
    """Valid numbers in E.164 (`+14155550100`); national numbers are read as `region`'s."""
    # Date ranges ("03/2015 - 12/2018") read like numbers: blank them first.
    text = _NUMERIC_DATE.sub(lambda m: " " * len(m.group(0)), _RANGE.sub(lambda m: " " * len(m.group(0)), text))
    found = [phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
             for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)]
    return list(dict.fromkeys(found))[:MAX_ITEMS]


def normalise_phone(number: str, region: str = "US") -> str:
    """E.164 when libphonenumber can read the number, else the digits as given (to compare lists)."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(number, region), phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return re.sub(r"[^\d+]", "", number)


def links(text: str) -> list[str]:
    found = []
    for url in _URL.findall(text):
        url = url.rstrip(".,;:!?")
        if "@" in url.split("/")[0]:
            continue
        found.append(url if url.lower().startswith("http") else "https://" + url)
    return list(dict.fromkeys(u for u in found if len(u) <= 300))[:MAX_ITEMS]


def _date(match: re.Match[str], prefix: str, *, end: bool) -> date:
    year = int(match.group(prefix + "y"))
    month_name, number = match.group(prefix + "m"), match.group(prefix + "n")
    month = _MONTHS.get(month_name[:3].lower()) if month_name else int(number) if number and 1 <= int(number) <= 12 else None
    return date(year, month or (12 if end else 1), 1)


def work_history(text: str) -> list[Position]:
    """Positions from lines with a date range, most recent first; title and company from the rest of the line
    (or the line above when the dates stand alone)."""
    lines = [line.strip() for line in text.splitlines()]
    positions = []
    for i, line in enumerate(lines):
        match = _RANGE.search(line)
        if not match:
            continue
        start = _date(match, "s", end=False)
        stop = None if match.group("now") else _date(match, "e", end=True)
        if stop and stop < start:
            continue
        rest = (line[:match.start()] + " " + line[match.end():]).strip(" ()[]|,-–—:\t")
        if not re.search(r"[A-Za-z]{2}", rest):
            rest = next((lines[j] for j in range(i - 1, max(i - 3, -1), -1) if lines[j]), "")
        title, company = _title_and_company(rest)
        positions.append(Position(title, company, start, stop))
    unique = list(dict.fromkeys(positions))  # a header repeated on every page is one position
    return sorted(unique, key=lambda p: (p.end or date.max, p.start), reverse=True)[:30]


def _title_and_company(text: str) -> tuple[str | None, str | None]:
    parts = [p.strip(" .()") for p in _SEPARATORS.split(text) if p and p.strip(" .()")]
    parts = [p for p in parts if len(p) <= 120][:3]
    if not parts:
        return None, None
    if len(parts) == 1:
        return (parts[0], None) if _TITLE_WORDS.search(parts[0]) else (None, parts[0])
    first, second = parts[0], parts[1]
    if _TITLE_WORDS.search(second) and not _TITLE_WORDS.search(first):
        return second, first
    return first, second


def years_of_experience(text: str, history: list[Position], today: date) -> tuple[float | None, float]:
    """Years covered by the positions (overlaps counted once), or the years the resume states."""
    spans = sorted((p.start, p.end or today) for p in history)
    months, current_start, current_end = 0, None, None
    for start, end in spans:
        if current_end is None or start > current_end:
            if current_end is not None:
                months += _months(current_start, current_end)  # type: ignore[arg-type]
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        months += _months(current_start, current_end)  # type: ignore[arg-type]
    stated = max((int(m) for m in _STATED_YEARS.findall(text)), default=None)
    computed = round(months / 12, 1) if months else None
    if computed is not None and stated is not None:
        return max(computed, float(stated)), 0.9 if abs(computed - stated) <= 1.5 else 0.6
    if computed is not None:
        return computed, 0.75
    return (float(stated), 0.6) if stated is not None else (None, 0.0)


def _months(start: date, end: date) -> int:
    return max((end.year - start.year) * 12 + end.month - start.month + 1, 0)
