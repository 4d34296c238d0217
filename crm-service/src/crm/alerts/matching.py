"""Talent rediscovery: when an ATS job opens, the silver medalists and past prospects who fit it, found by hybrid
search in SQL (the job's title and skills as a full-text query, the whole job as a vector), each with its reasons.
Silver medalists weigh 1.5 times: they were strong enough to reach a late stage before."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.search.query import Or, Term

from crm.prospects.models import Prospect
from crm.search import repository as search
from crm.search.repository import Filters
from crm.search.service import embed_query

_WORD = re.compile(r"[A-Za-z0-9+#.]{2,}")
_STOP = {"and", "or", "the", "of", "a", "an", "for", "in", "at", "with", "to", "senior", "junior", "lead", "staff",
         "principal", "we", "you", "our", "will"}
_TAGS = re.compile(r"<[^>]+>")
SILVER_BOOST = 1.5
MIN_SIMILARITY = 0.3  # below this a profile is about something else (all-MiniLM-L6-v2 cosine)
DEPTH = 200


@dataclass(frozen=True)
class Opening:
    title: str
    description: str | None = None
    must_have: list[str] = field(default_factory=list)
    nice_to_have: list[str] = field(default_factory=list)
    location: str | None = None
    remote: bool = False

    @property
    def skills(self) -> list[str]:
        return list(dict.fromkeys([*self.must_have, *self.nice_to_have]))

    def text(self) -> str:
        """What the job's vector is computed from."""
        parts = [self.title, _TAGS.sub(" ", self.description or "")[:2000], ", ".join(self.skills)]
        return "\n".join(p for p in parts if p and p.strip())

    def title_words(self) -> list[str]:
        return list(dict.fromkeys(w.lower() for w in _WORD.findall(self.title) if w.lower() not in _STOP))


@dataclass
class Match:
    prospect: Prospect
    score: float
    reasons: list[str]


async def find_matches(session: AsyncSession, opening: Opening, *, limit: int = 20) -> list[Match]:
    """Active prospects fitting the job, best first (never more than `limit`)."""
    terms = [Term(w) for w in opening.title_words()] + [Term(s, "phrase") for s in opening.skills]
    query = Or(tuple(terms[:30])) if terms else None
    vector = await embed_query(opening.text())
    await search.tune_vector_scan(session, wanted=DEPTH)
    stmt = search.hybrid(query, vector, Filters(status="active"), depth=DEPTH, min_similarity=MIN_SIMILARITY)
    found = await search.rows(session, stmt, offset=0, limit=limit * 3)
    ids = [r.id for r in found]
    people = await search.prospects_by_id(session, ids)
    silver = await search.silver_medalists(session, ids)
    matches = []
    for row in found:
        prospect = people.get(row.id)
        if prospect is None:
            continue
        score = float(row.score) * (SILVER_BOOST if row.id in silver else 1.0)
        matches.append(Match(prospect, round(score * 1000, 3), reasons(prospect, opening, row, row.id in silver)))
    return sorted(matches, key=lambda m: (-m.score, str(m.prospect.id)))[:limit]


def reasons(p: Prospect, opening: Opening, row: Any, silver: bool) -> list[str]:
    """Why the prospect fits: title words and skills in common, meaning, location, silver medalist."""
    out = []
    said = " ".join(x for x in (p.current_title, p.headline) if x).lower()
    if hit := [w for w in opening.title_words() if re.search(rf"\b{re.escape(w)}\b", said)]:
        out.append("title: " + ", ".join(hit))
    have = {s.lower() for s in p.skills or []}
    if hit := [s for s in opening.skills if s.lower() in have]:
        out.append("skills: " + ", ".join(hit))
    if row.similarity is not None:
        out.append(f"profile similar to the job ({float(row.similarity):.2f})")
    if opening.location and not opening.remote and p.location and \
            opening.location.split(",")[0].strip().lower() in p.location.lower():
        out.append(f"location: {p.location}")
    if silver:
        out.append("silver medalist")
    return out


def summary(m: Match) -> dict[str, Any]:
    p = m.prospect
    return {"prospect_id": str(p.id), "name": f"{p.first_name} {p.last_name}", "score": m.score, "reasons": m.reasons}
