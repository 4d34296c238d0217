"""Personalization tokens (`{{first_name}}`) and deterministic A/B variant choice."""
from __future__ import annotations

import hashlib
import re
from typing import Any

TOKEN = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


def tokens(template: str) -> list[str]:
    """The token names a template uses, in order of first use."""
    return list(dict.fromkeys(TOKEN.findall(template)))


def malformed(template: str) -> bool:
    """True when a `{{` or `}}` remains that is not a well-formed token."""
    rest = TOKEN.sub("", template)
    return "{{" in rest or "}}" in rest


def missing_tokens(templates: list[str | None], variables: dict[str, Any]) -> list[str]:
    """The token names of `templates` without a (non-empty) value, in order of first use; a value that itself
    carries a token counts as missing (it must never go out literally)."""
    names = list(dict.fromkeys(n for t in templates if t for n in tokens(t)))
    missing = [n for n in names if variables.get(n) in (None, "")]
    if not missing and any("{{" in str(variables[n]) or "}}" in str(variables[n]) for n in names):
        return ["{{ in a value"]
    return missing


def segments(template: str) -> list[tuple[str | None, str]]:
    """The template as (token name, "") and (None, literal text) pieces, in order: what the author wrote is the
    literal text, what personalization fills in is a token."""
    out: list[tuple[str | None, str]] = []
    last = 0
    for m in TOKEN.finditer(template):
        if m.start() > last:
            out.append((None, template[last:m.start()]))
        out.append((m.group(1), ""))
        last = m.end()
    if last < len(template):
        out.append((None, template[last:]))
    return out


def fill(template: str, variables: dict[str, Any], escape: Any = str) -> str:
    """The template with each token replaced by `escape(value)` (values are checked by `missing_tokens` first)."""
    return TOKEN.sub(lambda m: escape(str(variables[m.group(1)])), template)


def render(template: str, variables: dict[str, Any]) -> tuple[str, list[str]]:
    """Fill the tokens; returns the text and the names that had no (non-empty) value. Never leaves a `{{`."""
    missing = [name for name in tokens(template) if variables.get(name) in (None, "")]
    if missing:
        return "", missing
    text = TOKEN.sub(lambda m: str(variables[m.group(1)]), template)
    if "{{" in text:  # a value that itself contains a token must not go out literally
        return "", ["{{ in a value"]
    return text, []


def choose_variant(enrollment_id: object, step_index: int, weights: list[int]) -> int:
    """The variant an enrollment gets for a step: stable for the enrollment, spread by the weights."""
    total = sum(weights)
    if total <= 0:
        return 0
    point = int.from_bytes(hashlib.sha256(f"{enrollment_id}:{step_index}".encode()).digest()[:8], "big") % total
    for i, w in enumerate(weights):
        if point < w:
            return i
        point -= w
    return len(weights) - 1
