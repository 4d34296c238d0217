"""Erasing a prospect (right to be forgotten): personal data anonymised everywhere in the CRM, the record kept
(ids, dates, pool stages, counts) for reporting, nurture ended for good."""
from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.errors import Conflict
from talentkit.forgetting import forget_platform_copies
from talentkit.profiles.erasure import anonymise
from talentkit.sealing import sealer_for

from crm.activities.models import Activity
from crm.db import platform
from crm.events import emit
from crm.prospects.models import Prospect
from crm.prospects.service import prospects


async def erase(session: AsyncSession, prospect_id: uuid.UUID, reason: str | None, ctx: RequestContext) -> Prospect:
    """Anonymise the prospect, its timeline and its messages; exit every enrollment (reason `erased`).
    Emits `crm.prospect.erased.v1` with email hashes only."""
    from crm.enrollments.service import exit_all
    from crm.sending.models import Message

    record = await prospects.get(session, prospect_id, for_update=True)
    if record.status == "erased":
        raise Conflict("The prospect is already erased.")
    await exit_all(session, prospect_id, "erased", ctx)
    hashes = anonymise(record, ctx.actor, Prospect.EXTRA_FIELDS)
    record.status = "erased"
    await session.execute(update(Activity).where(Activity.prospect_id == prospect_id)
                          .values(summary="[erased]", data={}))
    await session.execute(update(Message).where(Message.prospect_id == prospect_id)
                          .values(recipient=None, subject=None, body=None))
    await session.flush()
    # Published outbox rows and stored responses go; the key goes, so every copy of their events stays unreadable.
    await forget_platform_copies(session, platform, str(prospect_id))
    if platform.subject_keys is not None:
        await sealer_for(platform.subject_keys).shred(session, [str(prospect_id)])
    await emit(session, ctx, "crm.prospect.erased.v1", aggregate_id=prospect_id, sequence=record.version,
               data={"prospect_id": prospect_id, "email_hashes": hashes, "reason": reason})
    return record
