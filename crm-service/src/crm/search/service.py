"""Prospect search use cases: one query language, three ways to rank, and "more like this"."""
from __future__ import annotations

import asyncio
import uuid
from typing import Any

from talentkit.embeddings import embedder
from talentkit.errors import Conflict
from talentkit.pagination import Paging, iso
from talentkit.search.query import Node, parse
from talentkit.uow import UnitOfWork

from crm.embeddings import repository as embeddings
from crm.prospects.service import prospects
from crm.search import repository
from crm.search.repository import Filters
from crm.search.schemas import Match, Mode, ProspectHit

HYBRID_DEPTH = 200  # how deep each ranking is read before fusing


async def embed_query(text: str) -> Any:
    """The query's vector (computed in a worker thread: the event loop keeps serving)."""
    return (await asyncio.to_thread(embedder().embed, [text]))[0]


def parse_query(q: str, param: str = "q") -> Node:
    return parse(q, fields=repository.FIELDS, param=param)


async def search(*, uow: UnitOfWork, paging: Paging, q: str, mode: Mode, filters: Filters,
                 filter_params: dict[str, Any]) -> dict[str, Any]:
    """A page of prospects for `q`, ranked as `mode` says, best first."""
    page_filters = {"q": q, "mode": mode.value, **filter_params}
    offset = paging.offset(page_filters)
    wanted = offset + paging.limit + 1
    if mode == Mode.BOOLEAN:
        found = await repository.fulltext_page(uow.session, parse_query(q), filters, offset=offset,
                                               limit=paging.limit + 1)
        hits = [(r.id, float(r.score), Match(fulltext_rank=offset + i + 1)) for i, r in enumerate(found)]
    else:
        query = parse_query(q) if mode == Mode.HYBRID else None
        vector = await embed_query(q)
        await repository.tune_vector_scan(uow.session, wanted=max(wanted, HYBRID_DEPTH if query else wanted))
        if mode == Mode.SEMANTIC:
            found = await repository.rows(uow.session, repository.semantic(vector, filters), offset=offset,
                                          limit=paging.limit + 1)
            hits = [(r.id, float(r.score), Match(semantic_rank=offset + i + 1, similarity=round(float(r.score), 4)))
                    for i, r in enumerate(found)]
        else:
            stmt = repository.hybrid(query, vector, filters, depth=max(HYBRID_DEPTH, wanted))
            found = await repository.rows(uow.session, stmt, offset=offset, limit=paging.limit + 1)
            hits = [(r.id, float(r.score), Match(fulltext_rank=r.fulltext_rank, semantic_rank=r.semantic_rank,
                                                 similarity=None if r.similarity is None else round(float(r.similarity), 4)))
                    for r in found]
    body = paging.offset_page(hits, offset=offset, filters=page_filters)
    body["data"] = await _hits(uow, body["data"])
    return body


async def ranked_ids(*, uow: UnitOfWork, q: str, mode: Mode, filters: Filters, limit: int) -> list[uuid.UUID]:
    """The ids of the first `limit` results of a search, best first."""
    if mode == Mode.BOOLEAN:
        stmt = repository.fulltext(parse_query(q), filters)[0]
    else:
        query = parse_query(q) if mode == Mode.HYBRID else None
        vector = await embed_query(q)
        await repository.tune_vector_scan(uow.session, wanted=max(limit, HYBRID_DEPTH))
        stmt = (repository.semantic(vector, filters) if query is None
                else repository.hybrid(query, vector, filters, depth=max(HYBRID_DEPTH, limit)))
    return [r.id for r in await repository.rows(uow.session, stmt, offset=0, limit=limit)]


async def similar(*, uow: UnitOfWork, paging: Paging, prospect_id: uuid.UUID) -> dict[str, Any]:
    """Prospects nearest to this one's profile ("more like this"), nearest first."""
    await prospects.get(uow.session, prospect_id)
    vector = await embeddings.vector_of(uow.session, prospect_id)
    if vector is None:
        raise Conflict("This prospect's profile is not embedded yet (it is computed right after a change); retry "
                       "in a moment.", headers={"Retry-After": "2"})
    filters = {"prospect_id": str(prospect_id)}
    offset = paging.offset(filters)
    await repository.tune_vector_scan(uow.session, wanted=offset + paging.limit + 2)
    stmt = repository.semantic(vector, Filters(only=repository.Prospect.id != prospect_id))
    found = await repository.rows(uow.session, stmt, offset=offset, limit=paging.limit + 1)
    hits = [(r.id, float(r.score), Match(semantic_rank=offset + i + 1, similarity=round(float(r.score), 4)))
            for i, r in enumerate(found)]
    body = paging.offset_page(hits, offset=offset, filters=filters)
    body["data"] = await _hits(uow, body["data"])
    return body


async def _hits(uow: UnitOfWork, hits: list[tuple[uuid.UUID, float, Match]]) -> list[ProspectHit]:
    found = await repository.prospects_by_id(uow.session, [pid for pid, _, _ in hits])
    return [ProspectHit(id=p.id, first_name=p.first_name, last_name=p.last_name, headline=p.headline,
                        current_title=p.current_title, current_company=p.current_company, location=p.location,
                        skills=p.skills, tags=p.tags, status=p.status, score=round(score, 6), match=match)
            for pid, score, match in hits if (p := found.get(pid)) is not None]


def filter_params(filters: Filters) -> dict[str, Any]:
    """The filters as a cursor keeps them."""
    return {"pool_id": iso(filters.pool_id), "stage": filters.stage, "tag": filters.tags or None,
            "status": filters.status, "location": filters.location, "updated_after": iso(filters.updated_after)}
