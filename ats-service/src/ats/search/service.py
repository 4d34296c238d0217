"""Candidate search: parse the query, run it a page at a time, highlight the matches."""
from __future__ import annotations

import html
import uuid
from datetime import datetime
from typing import Any

from talentkit.pagination import Paging
from talentkit.search.query import parse
from talentkit.uow import UnitOfWork

from ats.search import repository
from ats.search.schemas import CandidateHit


async def candidates(*, uow: UnitOfWork, paging: Paging, q: str | None, job_id: uuid.UUID | None,
                     stage_id: uuid.UUID | None, status: str | None, tags: list[str], location: str | None,
                     updated_after: datetime | None) -> dict[str, Any]:
    """A page of candidates matching `q` (the Boolean language) and the filters, best first."""
    query = parse(q, fields=repository.FIELDS) if q and q.strip() else None
    filters = {"q": q, "job_id": str(job_id) if job_id else None, "stage_id": str(stage_id) if stage_id else None,
               "status": status, "tag": tags or None, "location": location,
               "updated_after": updated_after.isoformat() if updated_after else None}
    offset = paging.offset(filters)
    search = repository.search(query, job_id=job_id, stage_id=stage_id, status=status, tags=tags, location=location,
                               updated_after=updated_after)
    rows = await repository.page(uow.session, search, offset=offset, limit=paging.limit + 1)
    body = paging.offset_page(rows, offset=offset, filters=filters)
    found = body["data"]
    ids = [row.Candidate.id for row in found]
    snippets = await repository.snippets(uow.session, ids, search.rank_query)
    skills = await repository.skills_of(uow.session, ids)
    body["data"] = [CandidateHit(id=c.id, first_name=c.first_name, last_name=c.last_name, headline=c.headline,
                                 location=c.location, tags=c.tags, skills=skills.get(c.id, []), score=round(score, 6),
                                 snippet=highlighted(snippets.get(c.id))) for c, score in found]
    return body


def highlighted(snippet: str | None) -> str | None:
    """The snippet HTML-escaped, with PostgreSQL's match marks as `<mark>` elements."""
    if not snippet:
        return None
    return html.escape(snippet).replace(repository.START, "<mark>").replace(repository.STOP, "</mark>")
