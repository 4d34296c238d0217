"""Simple talent rediscovery: score prospects against a job's title, skills and location by word overlap.
Silver medalists count double: they were strong enough to reach a late stage before."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crm.alerts import repository
from crm.prospects.models import Prospect

_WORD = re.compile(r"[a-z0-9+#]+")
_STOP = {"and", "or", "the", "of", "a", "an", "for", "in", "at", "senior", "junior", "lead", "staff", "principal"}


def words(text: str | None) -> set[str]:
    return {w for w in _WORD.findall((text or "").lower()) if w not in _STOP and len(w) > 1}


@dataclass
class Match:
    prospect: Prospect
    score: float
    reasons: list[str]


def score(p: Prospect, *, title: set[str], skills: set[str], location: set[str], silver: bool) -> Match:
    reasons: list[str] = []
    s = 0.0
    if hit := title & (words(p.current_title) | words(p.headline)):
        s += 2 * len(hit)
        reasons.append("title: " + ", ".join(sorted(hit)))
    if hit := skills & {k.lower() for k in p.skills or []}:
        s += 1.5 * len(hit)
        reasons.append("skills: " + ", ".join(sorted(hit)))
    if location and (hit := location & words(p.location)):
        s += 1
        reasons.append("location: " + ", ".join(sorted(hit)))
    if s and silver:
        s *= 2
        reasons.append("silver medalist")
    return Match(p, s, reasons)


async def find_matches(session: AsyncSession, *, title: str, skills: list[str], location: str | None,
                       limit: int = 20) -> list[Match]:
    """Active prospects matching the job, best first."""
    silver = await repository.silver_medalist_ids(session)
    prospects = await repository.active_prospects(session)
    t, k, loc = words(title), {s.lower() for s in skills}, words(location)
    matches = [m for p in prospects if (m := score(p, title=t, skills=k, location=loc, silver=p.id in silver)).score > 0]
    return sorted(matches, key=lambda m: -m.score)[:limit]


def summary(m: Match) -> dict[str, Any]:
    p = m.prospect
    return {"prospect_id": str(p.id), "name": f"{p.first_name} {p.last_name}", "score": m.score, "reasons": m.reasons}
