"""Note use cases, and the candidate's activity feed. Notes never leave the ATS (no public event) but are audited."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from talentkit.auth import RequestContext
from talentkit.errors import BadRequest, field_error
from talentkit.pagination import Paging, decode_cursor, encode_cursor
from talentkit.uow import UnitOfWork

from ats.candidates.service import candidates
from ats.notes import repository
from ats.notes.models import Note, Visibility
from ats.notes.schemas import ActivityItem
from ats.users import acting_user


async def add(*, uow: UnitOfWork, candidate_id: uuid.UUID, body: str, visibility: Visibility, ctx: RequestContext) -> Note:
    """Write a note on the candidate, by the acting user (404 for an unknown candidate)."""
    await candidates.get(uow.session, candidate_id)
    note = Note.write(candidate_id, body, visibility, principal=ctx.principal, author=acting_user(ctx), actor=ctx.actor)
    uow.session.add(note)
    await uow.flush()
    return note


async def list_notes(*, uow: UnitOfWork, paging: Paging, candidate_id: uuid.UUID, updated_after: datetime | None,
                     ctx: RequestContext) -> dict[str, Any]:
    """A page of the candidate's notes the caller may read, oldest first."""
    await candidates.get(uow.session, candidate_id)
    stmt = repository.listing(candidate_id, ctx.principal, acting_user(ctx), updated_after)
    return await paging.page(uow.session, stmt, model=Note,
                             filters={"updated_after": updated_after.isoformat() if updated_after else None})


async def activity(*, uow: UnitOfWork, paging: Paging, candidate_id: uuid.UUID, updated_after: datetime | None,
                   ctx: RequestContext) -> dict[str, Any]:
    """A page of the candidate's feed, newest first: readable notes and audited changes."""
    await candidates.get(uow.session, candidate_id)
    filters = {k: v for k, v in {"updated_after": updated_after.isoformat() if updated_after else None}.items() if v}
    after = None
    if paging.cursor:
        payload = decode_cursor(paging.cursor)
        if payload.get("filters", {}) != filters or len(payload["after"]) != 3:
            raise BadRequest("The cursor was issued for other filters or another list.",
                             errors=[field_error("cursor", "filters differ from the cursor's")])
        after = payload["after"]
    rows = await repository.activity(uow.session, candidate_id, ctx.principal, acting_user(ctx),
                                     updated_after=updated_after, after=after, limit=paging.limit + 1)
    cursor = url = None
    if len(rows) > paging.limit:
        rows = rows[:paging.limit]
        cursor = encode_cursor({"after": [rows[-1].at.isoformat(), rows[-1].kind, rows[-1].key], "filters": filters})
        url = paging.link_next(filters | {"cursor": cursor, "limit": paging.limit})
    items = [ActivityItem(at=r.at, kind=r.kind, action=r.action, target_type=r.target_type, target_id=r.target_id,
                          actor=r.actor, summary=summary(r.changes), body=r.body, visibility=r.visibility) for r in rows]
    return {"data": items, "next_cursor": cursor, "next": url}


def summary(changes: dict[str, Any] | None, limit: int = 500) -> str | None:
    """`field: before → after; ...` of an audit entry, cut to `limit` characters."""
    if not changes:
        return None
    parts = []
    for field, change in changes.items():
        if isinstance(change, dict) and "after" in change:
            parts.append(f"{field}: {change.get('before')} → {change.get('after')}" if change.get("before") is not None
                         else f"{field}: {change.get('after')}")
        else:
            parts.append(f"{field}: {change}")
    text = "; ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"
