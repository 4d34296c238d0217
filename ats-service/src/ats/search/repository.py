"""The candidate search query: the Boolean query compiled over the stored document, filters, relevance, and
highlighted snippets for one page.

Relevance is ranked in two tiers so that a common word stays cheap: first the candidates with a searched word in
their profile (name, job titles, headline, skills), ranked on the narrow profiles table alone, the best few hundred
then checked against the whole query; then those the resume text alone matched, ranked on the whole document. For
one word this is ts_rank's own order between tiers (a name or title match always outranks a resume-only one)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.search.query import Node, Term
from talentkit.search.sql import (
    array_field,
    compile_query,
    custom_plans,
    equals_field,
    matches,
    regconfig,
    text_field,
)

from ats.applications.models import Application
from ats.candidates.models import Candidate
from ats.resumes.models import Resume
from ats.resumes.skills import vocabulary
from ats.search.models import CandidateSearch, SearchProfile


def _skill(term: Term, q: Any) -> Any:
    """`skill:k8s` finds Kubernetes: resumes store canonical names, so the value is read through the vocabulary."""
    named = term if term.kind == "prefix" else replace(term, text=vocabulary().normalise(term.text))
    return array_field(CandidateSearch.skills)(named, q)


FIELDS = {
    "title": text_field(CandidateSearch.titles),
    "company": text_field(CandidateSearch.companies),
    "skill": _skill,
    "location": text_field(Candidate.location),
    "tag": array_field(Candidate.tags),
    "source": equals_field(Candidate.source),
}
# Highlight marks PostgreSQL puts around matches; the service escapes the text, then turns them into <mark>.
START, STOP = "\u27e6", "\u27e7"
WINDOW = 200  # profiles ranked first, at the least; then four times as many as the page reaches
HEADLINE_OPTIONS = f"StartSel={START}, StopSel={STOP}, MaxFragments=2, MaxWords=18, MinWords=6, FragmentDelimiter= … "


@dataclass(frozen=True)
class Search:
    """One search: what every hit must satisfy (over the candidate and their search document) and the tsquery of
    its words, to rank and highlight with (None when nothing is searched for but fields or filters)."""

    where: list[Any]
    rank_query: Any  # None without words to rank on (the profile tiers are then not used)


def search(query: Node | None, *, job_id: uuid.UUID | None, stage_id: uuid.UUID | None, status: str | None,
           tags: list[str], location: str | None, updated_after: datetime | None) -> Search:
    """The search for `query` (the Boolean language, parsed) and the filters."""
    compiled = compile_query(query, document=CandidateSearch.document, fields=FIELDS) if query is not None else None
    where: list[Any] = [Candidate.merged_into_id.is_(None), Candidate.erased_at.is_(None)]
    if compiled:
        where.append(compiled.where)
    wanted = [c for c, v in ((Application.job_id == job_id, job_id), (Application.stage_id == stage_id, stage_id),
                             (Application.status == status, status)) if v is not None]
    if wanted:
        where.append(exists().where(Application.candidate_id == Candidate.id, and_(*wanted)))
    if tags:
        where.append(Candidate.tags.contains(tags))
    if location:
        where.append(Candidate.location.icontains(location, autoescape=True))
    if updated_after:
        where.append(Candidate.updated_at > updated_after)
    return Search(where, compiled.rank_query if compiled else None)


async def page(session: AsyncSession, found: Search, *, offset: int, limit: int) -> list[Any]:
    """`limit` hits (candidate, score) from `offset`, best first: candidates whose profile (name, job titles,
    headline, skills) has a searched word, by their profile's rank; then those matched by resume text alone, by
    the whole document's rank; ties most recently changed first. Without words to rank by, most recently changed
    first, score 0."""
    await custom_plans(session)
    if found.rank_query is None:
        stmt = (select(Candidate, literal(0.0).label("score")).join(CandidateSearch, CandidateSearch.candidate_id == Candidate.id)
                .where(*found.where).order_by(Candidate.updated_at.desc(), Candidate.id))
        return list((await session.execute(stmt.offset(offset).limit(limit))).all())
    hits = await _profile_hits(session, found, offset=offset, limit=limit)
    if len(hits) == limit:
        return hits
    # Reading from `offset` found the end of the profile hits, so they number offset + len(hits) (unless none were
    # left: then they must be counted).
    profiled = offset + len(hits) if hits or not offset else await _count_profile_hits(session, found)
    return hits + await _resume_hits(session, found, offset=max(0, offset - profiled), limit=limit - len(hits))


def _ranked_profiles(found: Search, window: int) -> Any:
    """The `window` best-ranked profiles with a searched word (a top-N sort over the narrow profiles only)."""
    score = func.ts_rank(SearchProfile.profile, found.rank_query)
    return (select(SearchProfile.candidate_id, score.label("score"), SearchProfile.updated_at)
            .where(matches(SearchProfile.profile, found.rank_query))
            .order_by(score.desc(), SearchProfile.updated_at.desc(), SearchProfile.candidate_id)
            .limit(window).subquery("ranked"))


async def _profile_hits(session: AsyncSession, found: Search, *, offset: int, limit: int) -> list[Any]:
    """The best profiles first, each checked against the whole query and the filters, which may turn some down
    (`python -java` with Java in the resume): when the window of best profiles runs dry before the page is full,
    a window four times larger is ranked, until the page is full or no profile is left."""
    window = max(4 * (offset + limit), WINDOW)
    while True:
        ranked = _ranked_profiles(found, window)
        stmt = (select(Candidate, ranked.c.score).join(ranked, ranked.c.candidate_id == Candidate.id)
                .join(CandidateSearch, CandidateSearch.candidate_id == Candidate.id).where(*found.where)
                .order_by(ranked.c.score.desc(), ranked.c.updated_at.desc(), ranked.c.candidate_id))
        hits = list((await session.execute(stmt.offset(offset).limit(limit))).all())
        if len(hits) == limit or (await session.scalar(select(func.count()).select_from(ranked)) or 0) < window:
            return hits
        window *= 4


async def _count_profile_hits(session: AsyncSession, found: Search) -> int:
    stmt = (select(func.count()).select_from(SearchProfile)
            .join(Candidate, Candidate.id == SearchProfile.candidate_id)
            .join(CandidateSearch, CandidateSearch.candidate_id == SearchProfile.candidate_id)
            .where(matches(SearchProfile.profile, found.rank_query), *found.where))
    return int(await session.scalar(stmt) or 0)


async def _resume_hits(session: AsyncSession, found: Search, *, offset: int, limit: int) -> list[Any]:
    """Candidates matched by their resume text alone (no searched word in the profile), by the whole document's
    rank; only the page's candidates are read whole."""
    score = func.ts_rank(CandidateSearch.document, found.rank_query)
    in_profile = exists().where(SearchProfile.candidate_id == CandidateSearch.candidate_id,
                                matches(SearchProfile.profile, found.rank_query))
    ranked = (select(CandidateSearch.candidate_id, score.label("score"), CandidateSearch.updated_at)
              .join(Candidate, Candidate.id == CandidateSearch.candidate_id).where(*found.where, ~in_profile)
              .order_by(score.desc(), CandidateSearch.updated_at.desc(), CandidateSearch.candidate_id)
              .offset(offset).limit(limit).subquery("ranked"))
    stmt = (select(Candidate, ranked.c.score).join(ranked, ranked.c.candidate_id == Candidate.id)
            .order_by(ranked.c.score.desc(), ranked.c.updated_at.desc(), ranked.c.candidate_id))
    return list((await session.execute(stmt)).all())


async def snippets(session: AsyncSession, candidate_ids: list[uuid.UUID], rank_query: Any) -> dict[uuid.UUID, str]:
    """A highlighted extract of each candidate's resume text (only the page's candidates: ts_headline is costly)."""
    if not candidate_ids or rank_query is None:
        return {}
    text = func.replace(func.replace(func.string_agg(Resume.text, "\n"), START, ""), STOP, "")
    stmt = (select(Resume.candidate_id, func.ts_headline(regconfig(), text, rank_query, HEADLINE_OPTIONS))
            .where(Resume.candidate_id.in_(candidate_ids), Resume.erased_at.is_(None)).group_by(Resume.candidate_id))
    return {cid: snippet for cid, snippet in (await session.execute(stmt)).all() if snippet and START in snippet}


async def skills_of(session: AsyncSession, candidate_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """The resume skills of each candidate."""
    stmt = select(CandidateSearch.candidate_id, CandidateSearch.skills).where(CandidateSearch.candidate_id.in_(candidate_ids))
    return dict((await session.execute(stmt)).all()) if candidate_ids else {}
