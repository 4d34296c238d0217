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
