"""Interviewer availability use cases."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import NotFound, Unprocessable, field_error
from talentkit.uow import UnitOfWork

from ats.interviewers import repository
from ats.interviewers.models import BusyBlock, Interviewer

MAX_BLOCK = timedelta(days=31)


async def get(*, uow: UnitOfWork, interviewer_id: str, for_update: bool = False) -> Interviewer:
    """The interviewer's calendar, or 404."""
    found = await repository.get(uow.session, interviewer_id.strip().lower(), for_update=for_update)
    if found is None:
        raise NotFound(f"No availability recorded for interviewer {interviewer_id}.")
    return found


async def put(*, uow: UnitOfWork, interviewer_id: str, values: dict[str, Any], if_match: str | None,
              ctx: RequestContext) -> tuple[Interviewer, bool]:
    """Create the calendar, or replace it under If-Match; returns it and whether it was created."""
    key = interviewer_id.strip().lower()
    if not values.get("email") and "@" in key:
        values = {**values, "email": key}
    found = await repository.get(uow.session, key, for_update=True)
    if found is None:
        me = Interviewer.register(key, values, ctx.actor)
        uow.session.add(me)
        await uow.flush()
        return me, True
    check_if_match(if_match, found.version)
    found.replace(values, ctx.actor)
    return found, False


async def add_busy(*, uow: UnitOfWork, interviewer_id: str, starts_at: datetime, ends_at: datetime,
                   reason: str | None, ctx: RequestContext) -> BusyBlock:
    """Mark time the interviewer cannot interview."""
    if ends_at <= starts_at or ends_at - starts_at > MAX_BLOCK:
        raise Unprocessable("A busy block ends after it starts, at most 31 days later.",
                            errors=[field_error("ends_at", "after starts_at, at most 31 days later")])
    me = await get(uow=uow, interviewer_id=interviewer_id, for_update=True)
    block = me.add_busy(starts_at, ends_at, reason, ctx.actor)
    await uow.flush()
    return block


async def remove_busy(*, uow: UnitOfWork, interviewer_id: str, block_id: uuid.UUID, ctx: RequestContext) -> Interviewer:
    """Free a busy block again."""
    me = await get(uow=uow, interviewer_id=interviewer_id, for_update=True)
    me.remove_busy(block_id, ctx.actor)
    return me
