"""The prospect search queries. Full text runs over the stored `prospects.search_document` (GIN), semantic search
over `prospect_embeddings` (HNSW), and hybrid fuses both rankings with reciprocal rank fusion in one statement:
no prospect list is ever loaded into Python to be ranked there."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from talentkit.search.query import Node, Not, Term
from talentkit.search.sql import array_field, compile_query, custom_plans, equals_field, matches, text_field

from crm.embeddings.models import ProspectEmbedding
from crm.pools.models import SILVER_MEDALISTS_POOL_ID, Pool, PoolMember, PoolStage
from crm.prospects.models import Prospect
from crm.search.models import ProspectSearch

RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al. 2009): 1 / (k + rank)


def _pool(term: Term, _q: Any) -> ColumnElement[bool]:
    name = func.lower(Pool.name)
    match = name.like(f"{term.text.lower()}%") if term.kind == "prefix" else name == term.text.lower()
    return exists().where(PoolMember.prospect_id == Prospect.id, PoolMember.pool_id == Pool.id, match)


def _stage(term: Term, _q: Any) -> ColumnElement[bool]:
    name = func.lower(PoolStage.name)
    match = name.like(f"{term.text.lower()}%") if term.kind == "prefix" else name == term.text.lower().replace(" ", "_")
    return exists().where(PoolMember.prospect_id == Prospect.id, PoolMember.stage_id == PoolStage.id, match)


FIELDS = {
    "title": text_field(Prospect.current_title),
    "company": text_field(Prospect.current_company),
    "skill": array_field(Prospect.skills),
    "location": text_field(Prospect.location),
    "tag": array_field(Prospect.tags),
    "pool": _pool,
    "stage": _stage,
    "source": equals_field(Prospect.source),
}


@dataclass(frozen=True)
class Filters:
    pool_id: uuid.UUID | None = None
    stage: str | None = None
    tags: list[str] = field(default_factory=list)
    status: str | None = None
    location: str | None = None
    updated_after: datetime | None = None
    only: ColumnElement[bool] | None = None  # an extra condition (rediscovery: silver medalists or past prospects)

    def where(self) -> list[ColumnElement[bool]]:
        """Live prospects (never merged or erased) narrowed by every filter given."""
        out: list[ColumnElement[bool]] = [Prospect.merged_into_id.is_(None), Prospect.status != "erased"]
        if self.pool_id:
            out.append(exists().where(PoolMember.prospect_id == Prospect.id, PoolMember.pool_id == self.pool_id))
        if self.stage:
            out.append(_stage(Term(self.stage), None))
        if self.tags:
            out.append(Prospect.tags.contains(self.tags))
        if self.status:
            out.append(Prospect.status == self.status)
        if self.location:
            out.append(Prospect.location.icontains(self.location, autoescape=True))
        if self.updated_after:
            out.append(Prospect.updated_at > self.updated_after)
        if self.only is not None:
            out.append(self.only)
        return out


def fulltext(query: Node, filters: Filters) -> tuple[Select[Any], Any]:
    """(prospect id, score) of the matching prospects, best first; and the score expression."""
    compiled = compile_query(query, document=Prospect.search_document, fields=FIELDS)
    score = (func.ts_rank(Prospect.search_document, compiled.rank_query) if compiled.rank_query is not None
             else literal(0.0))
    stmt = select(Prospect.id.label("id"), score.label("score")).where(compiled.where, *filters.where())
    return stmt.order_by(score.desc(), Prospect.updated_at.desc(), Prospect.id), score


WINDOW = 200  # documents ranked first, at the least; then four times as many as the page reaches


async def fulltext_page(session: AsyncSession, query: Node, filters: Filters, *, offset: int,
                        limit: int) -> list[Any]:
    """`fulltext`'s rows from `offset`, ranked over the narrow `prospect_search` copies of the documents. Words
    only: the matches are ranked there in a top-N sort, then checked against the filters. Words with fields: the
    best WINDOW with a searched word, each checked against the whole query and the filters, the window four
    times larger whenever it runs dry before the page is full. Ranked as `fulltext` ranks (ts_rank), ties by the
    document's last change, then id; a query without words to rank by runs as `fulltext`."""
    await custom_plans(session)
    compiled = compile_query(query, document=ProspectSearch.document, fields=FIELDS)
    if compiled.rank_query is None:
        return await rows(session, fulltext(query, filters)[0], offset=offset, limit=limit)
    score = func.ts_rank(ProspectSearch.document, compiled.rank_query)
    words_only = not _fields_in(query)
    window = max(4 * (offset + limit), WINDOW)
    while True:
        ranked = (select(ProspectSearch.prospect_id, score.label("score"), ProspectSearch.updated_at)
                  .where(compiled.where if words_only else matches(ProspectSearch.document, compiled.rank_query))
                  .order_by(score.desc(), ProspectSearch.updated_at.desc(), ProspectSearch.prospect_id)
                  .limit(window).subquery("ranked"))
        stmt = (select(ranked.c.prospect_id.label("id"), ranked.c.score).join(Prospect, Prospect.id == ranked.c.prospect_id)
                .where(*filters.where()).order_by(ranked.c.score.desc(), ranked.c.updated_at.desc(), ranked.c.prospect_id))
        if not words_only:
            stmt = stmt.join(ProspectSearch, ProspectSearch.prospect_id == ranked.c.prospect_id).where(compiled.where)
        found = await rows(session, stmt, offset=offset, limit=limit)
        if len(found) == limit or (await session.scalar(select(func.count()).select_from(ranked)) or 0) < window:
            return found
        window *= 4


def _fields_in(node: Node) -> bool:
    if isinstance(node, Term):
        return node.field is not None
    if isinstance(node, Not):
        return _fields_in(node.part)
    return any(_fields_in(part) for part in node.parts)  # type: ignore[attr-defined]


def semantic(vector: Any, filters: Filters, *, min_similarity: float | None = None) -> Select[Any]:
    """(prospect id, similarity) nearest to `vector` first; the HNSW index serves the ORDER BY ... LIMIT."""
    distance = ProspectEmbedding.embedding.cosine_distance(vector)
    stmt = (select(ProspectEmbedding.prospect_id.label("id"), (1 - distance).label("score"))
            .join(Prospect, Prospect.id == ProspectEmbedding.prospect_id)
            .where(*filters.where()).order_by(distance, ProspectEmbedding.prospect_id))
    return stmt.where(distance <= 1 - min_similarity) if min_similarity is not None else stmt


def hybrid(query: Node | None, vector: Any, filters: Filters, *, depth: int,
           min_similarity: float | None = None) -> Select[Any]:
    """Both rankings cut at `depth`, fused: score = sum over the lists of 1 / (RRF_K + rank)."""
    legs = []
    if query is not None:
        legs.append(fulltext(query, filters)[0].limit(depth).subquery("fulltext"))
    legs.append(semantic(vector, filters, min_similarity=min_similarity).limit(depth).subquery("semantic"))
    ranked = [select(leg.c.id, func.row_number().over(order_by=(leg.c.score.desc(), leg.c.id)).label("r"),
                     leg.c.score).subquery(f"ranked_{i}") for i, leg in enumerate(legs)]
    if len(ranked) == 1:
        (only,) = ranked
        return (select(only.c.id, (1.0 / (RRF_K + only.c.r)).label("score"), literal(None).label("fulltext_rank"),
                       only.c.r.label("semantic_rank"), only.c.score.label("similarity")).order_by(only.c.r))
    ft, vec = ranked
    fused = (func.coalesce(1.0 / (RRF_K + ft.c.r), 0.0) + func.coalesce(1.0 / (RRF_K + vec.c.r), 0.0)).label("score")
    pid = func.coalesce(ft.c.id, vec.c.id).label("id")
    return (select(pid, fused, ft.c.r.label("fulltext_rank"), vec.c.r.label("semantic_rank"), vec.c.score.label("similarity"))
            .select_from(ft.join(vec, ft.c.id == vec.c.id, full=True)).order_by(fused.desc(), pid))


async def tune_vector_scan(session: AsyncSession, *, wanted: int) -> None:
    """Let the HNSW scan look far enough for `wanted` rows, and keep scanning past rows the filters drop."""
    await session.execute(text(f"SET LOCAL hnsw.ef_search = {max(40, min(int(wanted), 1000))}"))
    await session.execute(text("SET LOCAL hnsw.iterative_scan = strict_order"))


async def rows(session: AsyncSession, stmt: Select[Any], *, offset: int, limit: int) -> list[Any]:
    return list((await session.execute(stmt.offset(offset).limit(limit))).all())


async def prospects_by_id(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, Prospect]:
    if not ids:
        return {}
    return {p.id: p for p in (await session.execute(select(Prospect).where(Prospect.id.in_(ids)))).scalars()}


async def silver_medalists(session: AsyncSession, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    stmt = select(PoolMember.prospect_id).where(PoolMember.pool_id == SILVER_MEDALISTS_POOL_ID,
                                                PoolMember.prospect_id.in_(ids))
    return set((await session.execute(stmt)).scalars()) if ids else set()
