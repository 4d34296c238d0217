"""Enrollment use cases: lock, let the enrollment decide, bump its version, emit via the outbox, append an activity."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.errors import Conflict, NotFound, Unprocessable, field_error

from crm.activities.service import record as record_activity
from crm.enrollments.models import RUNNING, Enrollment, EnrollmentStatus
from crm.events import emit
from crm.prospects.models import Prospect
from crm.sequences import service as sequences

TOPIC = "crm.enrollments"


async def get(session: AsyncSession, enrollment_id: uuid.UUID, *, for_update: bool = False) -> Enrollment:
    """The enrollment, or 404."""
    stmt = select(Enrollment).where(Enrollment.id == enrollment_id)
    found = (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No enrollment with id {enrollment_id}.")
    return found


async def running_for(session: AsyncSession, prospect_id: uuid.UUID, *, for_update: bool = False) -> list[Enrollment]:
    stmt = select(Enrollment).where(Enrollment.prospect_id == prospect_id, Enrollment.status.in_(RUNNING))
    return list((await session.execute(stmt.with_for_update() if for_update else stmt)).scalars())


def listing(*, sequence_id: uuid.UUID | None, prospect_id: uuid.UUID | None, status: str | None,
            updated_after: datetime | None) -> Select[Any]:
    stmt = select(Enrollment)
    if sequence_id:
        stmt = stmt.where(Enrollment.sequence_id == sequence_id)
    if prospect_id:
        stmt = stmt.where(Enrollment.prospect_id == prospect_id)
    if status:
        stmt = stmt.where(Enrollment.status == status)
    if updated_after:
        stmt = stmt.where(Enrollment.updated_at > updated_after)
    return stmt


async def enroll(session: AsyncSession, sequence_id: uuid.UUID, values: dict[str, Any], ctx: RequestContext,
                 now: datetime) -> Enrollment:
    """Start the prospect on the sequence's current version; 409 (naming the existing one) if one is running."""
    seq = await sequences.get(session, sequence_id)
    prospect = (await session.execute(select(Prospect).where(Prospect.id == values["prospect_id"])
                                      .with_for_update())).scalar_one_or_none()  # serializes enrollments per prospect
    if prospect is None:
        raise Unprocessable("No such prospect.", errors=[field_error("prospect_id", "unknown prospect")])
    prospect.ensure_writable()
    if prospect.status in ("hired", "excluded"):
        raise Conflict(f"The prospect is {prospect.status}: excluded from nurture.", prospect_status=prospect.status)
    existing = await running_for(session, prospect.id)
    if existing:
        e = existing[0]
        raise Conflict(f"The prospect is already enrolled (enrollment {e.id}, {e.status}); exit it first.",
                       existing_enrollment_id=str(e.id), existing_enrollment=f"/v1/enrollments/{e.id}",
                       headers={"Location": f"/v1/enrollments/{e.id}"})
    version = await sequences.version_of(session, seq.id, seq.current_version)
    enrollment = Enrollment.start(sequence_id=seq.id, sequence_version=version.number, prospect_id=prospect.id,
                                  timezone=values["timezone"], variables=values["variables"],
                                  first_due=version.step_due(0, now, ZoneInfo(values["timezone"])), actor=ctx.actor)
    session.add(enrollment)
    await session.flush()
    await emit(session, ctx, "crm.enrollment.started.v1", aggregate_id=enrollment.id, sequence=enrollment.version,
               topic=TOPIC, data={"enrollment": enrollment.snapshot()})
    await record_activity(session, prospect.id, "enrolled", f"Enrolled in sequence {seq.name!r} (v{version.number})",
                          data={"enrollment_id": str(enrollment.id), "sequence_id": str(seq.id)}, actor=ctx.actor)
    return enrollment


async def pause(session: AsyncSession, enrollment_id: uuid.UUID, ctx: RequestContext) -> Enrollment:
    """scheduled|active → paused."""
    e = await get(session, enrollment_id, for_update=True)
    e.pause("manual", ctx.actor)
    await session.flush()
    await record_activity(session, e.prospect_id, "enrollment_paused", "Sequence paused",
                          data={"enrollment_id": str(e.id)}, actor=ctx.actor)
    return e


async def resume(session: AsyncSession, enrollment_id: uuid.UUID, ctx: RequestContext, now: datetime) -> Enrollment:
    """paused → active (or scheduled); the pending step is due at the next open send window from now."""
    e = await get(session, enrollment_id, for_update=True)
    version = await sequences.version_of(session, e.sequence_id, e.sequence_version)
    from crm.sequences.schedule import next_open
    e.resume(next_open(now, version.window(), ZoneInfo(e.timezone), version.holiday_dates()), ctx.actor)
    await session.flush()
    await record_activity(session, e.prospect_id, "enrollment_resumed", "Sequence resumed",
                          data={"enrollment_id": str(e.id)}, actor=ctx.actor)
    return e


async def exit_one(session: AsyncSession, e: Enrollment, reason: str, ctx: RequestContext | None,
                   at: datetime | None = None) -> Enrollment:
    """Exit a locked enrollment: event `crm.enrollment.exited.v1` and an activity."""
    e.exit(reason, ctx.actor if ctx else "crm", at)
    await session.flush()
    await emit(session, ctx, "crm.enrollment.exited.v1", aggregate_id=e.id, sequence=e.version, topic=TOPIC,
               data={"enrollment": e.snapshot(), "reason": reason})
    await record_activity(session, e.prospect_id, "enrollment_exited", f"Left the sequence: {reason}",
                          data={"enrollment_id": str(e.id), "reason": reason}, actor=ctx.actor if ctx else None)
    return e


async def exit_manually(session: AsyncSession, enrollment_id: uuid.UUID, reason: str | None, ctx: RequestContext) -> Enrollment:
    """Any running state → exited (`manual`)."""
    e = await get(session, enrollment_id, for_update=True)
    return await exit_one(session, e, f"manual: {reason}" if reason else "manual", ctx)


async def exit_all(session: AsyncSession, prospect_id: uuid.UUID, reason: str, ctx: RequestContext | None) -> list[Enrollment]:
    """Exit every running enrollment of the prospect (reply, unsubscribe, bounce, consent, applied/hired in the ATS).
    Runs in the caller's transaction; returns the enrollments it exited (none is fine)."""
    return [await exit_one(session, e, reason, ctx) for e in await running_for(session, prospect_id, for_update=True)]


__all__ = ["EnrollmentStatus", "enroll", "exit_all", "exit_manually", "get", "listing", "pause", "resume"]
