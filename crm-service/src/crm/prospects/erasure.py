"""Erasing a prospect (right to be forgotten): personal data anonymised, the record kept (ids, dates, pool stages,
counts) for reporting. The prospect records `crm.prospect.erased.v1`; the features holding copies of the person's
data react to it (`handlers.py` of activities, sending, consent, enrollments)."""
from __future__ import annotations

import uuid

from talentkit.auth import RequestContext
from talentkit.uow import UnitOfWork

from crm.prospects.models import Prospect
from crm.prospects.service import prospects


async def erase(*, uow: UnitOfWork, prospect_id: uuid.UUID, reason: str | None, ctx: RequestContext) -> Prospect:
    """Anonymise the prospect (409 when already erased); its timeline, messages and enrollments follow."""
    record = await prospects.get(uow.session, prospect_id, for_update=True)
    record.erase(reason=reason, actor=ctx.actor)
    await uow.flush()
    return record
