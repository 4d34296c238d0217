"""The EEO report as a pure computation: counts by category and stage reached, small cells suppressed, and the
four-fifths adverse-impact ratio per stage."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ats.eeo.models import DECLINED, QUESTIONS

THRESHOLD = 5  # counts of 1 to 4 are not shown (small-cell suppression; an empty cell identifies nobody)
FOUR_FIFTHS = 0.8


@dataclass(frozen=True)
class Respondent:
    """One application in the report: how far in the pipeline it got and its answers."""

    furthest_position: int
    answers: dict[str, str]


def suppress(counts: dict[str, int]) -> dict[str, int | None]:
    """Hide counts from 1 to 4; when exactly one is hidden, hide the next smallest non-zero one too, so it cannot be
    worked out from the others and a known total."""
    shown: dict[str, int | None] = {c: (None if 0 < n < THRESHOLD else n) for c, n in counts.items()}
    hidden = [c for c, n in shown.items() if n is None]
    if len(hidden) == 1:
        rest = sorted((n, c) for c, n in shown.items() if n)
        if rest:
            shown[rest[0][1]] = None
    return shown


def impact(reached: dict[str, int], applicants: dict[str, int]) -> list[dict[str, Any]]:
    """Selection rate per category (only where both counts reach the threshold) and its ratio to the highest."""
    rates = {c: reached[c] / applicants[c] for c in reached
             if c != DECLINED and applicants[c] >= THRESHOLD and reached[c] >= THRESHOLD}
    best = max(rates.values(), default=0)
    out = []
    for c in reached:
        rate = rates.get(c)
        ratio = round(rate / best, 4) if rate is not None and best else None
        out.append({"category": c, "selection_rate": round(rate, 4) if rate is not None else None,
                    "impact_ratio": ratio, "adverse_impact": (ratio < FOUR_FIFTHS) if ratio is not None else None})
    return out


def dimensions(stages: Sequence[dict[str, Any]], respondents: Sequence[Respondent]) -> list[dict[str, Any]]:
    """Per question and stage: who reached it, by category (suppressed), and the impact ratios."""
    out = []
    for question, categories in QUESTIONS.items():
        applicants = {c.value: sum(1 for r in respondents if r.answers[question] == c.value) for c in categories}
        rows = []
        for stage in stages:
            reached = {c.value: sum(1 for r in respondents if r.answers[question] == c.value
                                    and r.furthest_position >= stage["position"]) for c in categories}
            rows.append({"stage_id": stage["id"], "name": stage["name"], "kind": stage["kind"],
                         "counts": [{"category": c, "count": n, "suppressed": n is None}
                                    for c, n in suppress(reached).items()],
                         "impact": impact(reached, applicants)})
        out.append({"dimension": question, "stages": rows})
    return out
