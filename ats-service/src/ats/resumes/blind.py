"""The resume text the matching model may see: without who the person is. Contact points, links, the name line
at the top, and lines about age, birth, gender, nationality, marital status or EEO topics are removed, so
rank-and-grade cannot weigh them (changing them changes no score)."""
from __future__ import annotations

import re

from ats.resumes.parsing import _EMAIL, _URL

_PROTECTED = re.compile(
    r"\b(date of birth|born|birthday|age|gender|sex|pronouns|nationality|citizenship|marital status|married|"
    r"religion|ethnicity|veteran|disability|disabled|dob)\b", re.IGNORECASE)
_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_NAME_LINE = re.compile(r"^[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}$")


def blind_text(text: str) -> str:
    """`text` without identity: what the embedding of a resume is computed from."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if lines and _NAME_LINE.match(lines[0]) and not any(ch.isdigit() for ch in lines[0]):
        lines = lines[1:]
    kept = []
    for line in lines:
        if _PROTECTED.search(line):
            continue
        line = _PHONE_LIKE.sub(" ", _URL.sub(" ", _EMAIL.sub(" ", line)))
        line = " ".join(line.replace("|", " ").split())
        if line:
            kept.append(line)
    return "\n".join(kept)
