"""The openness formula: points for signals the CRM has, no black box. Each rule gives the points of the first
tier the signal reaches; the score is their sum (0-100).

| signal                | measured as                                                          | tiers (signal >= : points) |
|-----------------------|----------------------------------------------------------------------|----------------------------|
| tenure                | months at the current company, from the work history: since the earliest start of their positions there, while one is held still (no end date) | 24: 25, 12: 10 |
| engagement trend      | engagement events (opens, clicks, replies, visits) in the last 30 days minus the 30 before | 1: 20 |
| page visits           | visits of the CRM's pages in the last 30 days                        | 2: 20, 1: 10               |
| replies               | replies to messages in the last 60 days                              | 1: 20                      |
| profile update        | headline, title or company changed in the last 90 days (not at creation) | 1: 15                  |

Why these: people look around after about two years in a job (measured from when the job began, not from when
the CRM heard of the company: an import or a sync would otherwise start the count afresh; without a work history
the tenure is unknown and earns nothing); rising engagement, visits and replies show
attention now; a fresh headline or title often comes with a job search."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case
from sqlalchemy.sql.elements import ColumnElement


@dataclass(frozen=True)
class Rule:
    signal: str
    tiers: tuple[tuple[float, int], ...]  # (threshold, points), highest first
    reason: str  # with {value}

    def points(self, value: float | None) -> int:
        return next((p for threshold, p in self.tiers if value is not None and value >= threshold), 0)

    def sql(self, value: ColumnElement[Any]) -> ColumnElement[Any]:
        return case(*[(value >= threshold, points) for threshold, points in self.tiers], else_=0)


RULES = (
    Rule("tenure_months", ((24, 25), (12, 10)), "{value:.0f} months at their current company"),
    Rule("engagement_trend", ((1, 20),), "engagement rising: {value:+.0f} events against the 30 days before"),
    Rule("visits_30d", ((2, 20), (1, 10)), "{value:.0f} page visits in the last 30 days"),
    Rule("replies_60d", ((1, 20),), "{value:.0f} replies in the last 60 days"),
    Rule("profile_updated", ((1, 15),), "updated their headline, title or company in the last 90 days"),
)
MAX_SCORE = sum(rule.tiers[0][1] for rule in RULES)


def explain(signals: dict[str, float | None]) -> tuple[int, list[dict[str, Any]]]:
    """The score and, per rule, the signal's value, the points it earned and a readable reason."""
    parts: list[dict[str, Any]] = []
    for rule in RULES:
        value = signals.get(rule.signal)
        points = rule.points(value)
        parts.append({"signal": rule.signal, "value": value, "points": points,
                      "reason": rule.reason.format(value=value) if points else None})
    return sum(p["points"] for p in parts), parts


def score_sql(signals: dict[str, ColumnElement[Any]]) -> ColumnElement[Any]:
    """The same formula as one SQL expression over the signal columns (to order and filter in the database)."""
    total: ColumnElement[Any] | None = None
    for rule in RULES:
        term = rule.sql(signals[rule.signal])
        total = term if total is None else total + term
    assert total is not None
    return total
