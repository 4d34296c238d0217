"""The candidate search query: the Boolean query compiled over the stored document, filters, relevance, and
highlighted snippets for one page."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.search.query import Node, Term
from talentkit.search.sql import (
    array_field,
    compile_query,
    equals_field,
    regconfig,
    text_field,
)

from ats.applications.models import Application
from ats.candidates.models import Candidate
from ats.resumes.models import Resume
from ats.resumes.skills import vocabulary
from ats.search.models import CandidateSearch


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
HEADLINE_OPTIONS = f"StartSel={START}, StopSel={STOP}, MaxFragments=2, MaxWords=18, MinWords=6, FragmentDelimiter= … "


def search(query: Node | None, *, job_id: uuid.UUID | None, stage_id: uuid.UUID | None, status: str | None,
           tags: list[str], location: str | None, updated_after: datetime | None) -> tuple[Select[Any], Any]:
    """Candidates matching, best first (recently changed first without a query), and the tsquery to highlight with."""
    compiled = compile_query(query, document=CandidateSearch.document, fields=FIELDS) if query is not None else None
    rank_query = compiled.rank_query if compiled else None
    score = func.ts_rank(CandidateSearch.document, rank_query) if rank_query is not None else literal(0.0)
    stmt = (select(Candidate, score.label("score"))
            .join(CandidateSearch, CandidateSearch.candidate_id == Candidate.id)
            .where(Candidate.merged_into_id.is_(None), Candidate.erased_at.is_(None)))
    if compiled:
        stmt = stmt.where(compiled.where)
    wanted = [c for c, v in ((Application.job_id == job_id, job_id), (Application.stage_id == stage_id, stage_id),
                             (Application.status == status, status)) if v is not None]
    if wanted:
        stmt = stmt.where(exists().where(Application.candidate_id == Candidate.id, and_(*wanted)))
    if tags:
        stmt = stmt.where(Candidate.tags.contains(tags))
    if location:
        stmt = stmt.where(Candidate.location.icontains(location, autoescape=True))
    if updated_after:
        stmt = stmt.where(Candidate.updated_at > updated_after)
    return stmt.order_by(score.desc(), Candidate.updated_at.desc(), Candidate.id), rank_query


async def page(session: AsyncSession, stmt: Select[Any], *, offset: int, limit: int) -> list[Any]:
    return list((await session.execute(stmt.offset(offset).limit(limit))).all())


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
