"""The skills vocabulary (`skills.json`, data kept in the repo): canonical names and their aliases ("k8s" ->
Kubernetes), found in text as whole words, longest first ("React Native" before "React")."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Neighbours that make a match part of a longer token: "C" in "C++", "Go" in "Google", "Java" in "JavaScript".
_BEFORE, _AFTER = r"(?<![\w+#./-])", r"(?![\w+#]|\.[A-Za-z])"


@dataclass(frozen=True)
class Vocabulary:
    canonical: dict[str, str]  # every alias and name, lower-cased -> canonical name
    _folded: re.Pattern[str]  # case-insensitive terms
    _exact: re.Pattern[str]  # terms that count only as written

    def find(self, text: str) -> list[str]:
        """Canonical skills mentioned in `text`, in order of first mention, each once."""
        hits: list[tuple[int, str]] = []
        for pattern in (self._folded, self._exact):
            hits += [(m.start(), self.canonical[_key(m.group(0))]) for m in pattern.finditer(text)]
        return list(dict.fromkeys(name for _, name in sorted(hits)))

    def normalise(self, skill: str) -> str:
        """The canonical name of a skill or alias, else the skill as given (trimmed)."""
        return self.canonical.get(_key(skill), skill.strip())


def _key(term: str) -> str:
    return " ".join(term.lower().split())


def _pattern(terms: list[str], flags: int) -> re.Pattern[str]:
    if not terms:
        return re.compile(r"(?!x)x")
    alternatives = [r"\s+".join(re.escape(w) for w in t.split()) for t in sorted(terms, key=len, reverse=True)]
    return re.compile(_BEFORE + "(?:" + "|".join(alternatives) + ")" + _AFTER, flags)


def load(path: Path | None = None) -> Vocabulary:
    """Read a vocabulary file (default: the one beside this module)."""
    data = json.loads((path or Path(__file__).with_name("skills.json")).read_text())
    canonical: dict[str, str] = {}
    folded, exact = [], []
    for skill in data["skills"]:
        name = skill["name"]
        for term in (name, *skill.get("aliases", [])):
            canonical[_key(term)] = name
            if skill.get("exact_case") and term == name:
                exact.append(term)
            elif len(term) <= 2 and term.isalpha():
                exact.append(term.upper())  # "ml" counts as ML, never as the letters in "ml of water"
            else:
                folded.append(term)
    return Vocabulary(canonical, _pattern(folded, re.IGNORECASE), _pattern(exact, 0))


@cache
def vocabulary() -> Vocabulary:
    """The shipped vocabulary, read once."""
    return load()
