"""Enrollment use cases: lock, let the enrollment decide (it records its events), append an activity."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from talentkit.auth import RequestContext
from talentkit.errors import Conflict, NotFound, Unprocessable, field_error
from talentkit.pagination import Paging, iso
from talentkit.uow import UnitOfWork

from crm.activities import service as activities
from crm.enrollments import repository
from crm.enrollments.models import Enrollment
from crm.prospects.service import prospects
from crm.sequences import service as sequences
from crm.sequences.schedule import next_open


async def get(*, uow: UnitOfWork, enrollment_id: uuid.UUID, for_update: bool = False) -> Enrollment:
    """The enrollment, or 404."""
    found = await repository.get(uow.session, enrollment_id, for_update=for_update)
    if found is None:
        raise NotFound(f"No enrollment with id {enrollment_id}.")
    return found


async def list_enrollments(*, uow: UnitOfWork, paging: Paging, sequence_id: uuid.UUID | None,
                           prospect_id: uuid.UUID | None, status: str | None, updated_after: datetime | None) -> dict[str, Any]:
    """A page of enrollments, oldest first."""
    stmt = repository.listing(sequence_id=sequence_id, prospect_id=prospect_id, status=status, updated_after=updated_after)
    return await paging.page(uow.session, stmt, created_col=Enrollment.created_at, id_col=Enrollment.id, filters={
        "sequence_id": iso(sequence_id), "prospect_id": iso(prospect_id), "status": status,
        "updated_after": iso(updated_after)})


async def enroll(*, uow: UnitOfWork, sequence_id: uuid.UUID, prospect_id: uuid.UUID, timezone: str,
                 variables: dict[str, Any], ctx: RequestContext, now: datetime) -> Enrollment:
    """Start the prospect on the sequence's current version; 409 (naming the existing one) if one is running."""
    seq = await sequences.get(uow=uow, sequence_id=sequence_id)
    prospect = await prospects.repo.get(uow.session, prospect_id, for_update=True)  # serializes enrollments per prospect
    if prospect is None:
        raise Unprocessable("No such prospect.", errors=[field_error("prospect_id", "unknown prospect")])
    prospect.ensure_writable()
    if prospect.status in ("hired", "excluded"):
        raise Conflict(f"The prospect is {prospect.status}: excluded from nurture.", prospect_status=prospect.status)
    if existing := await repository.running_for(uow.session, prospect.id):
        e = existing[0]
        raise Conflict(f"The prospect is already enrolled (enrollment {e.id}, {e.status}); exit it first.",
                       existing_enrollment_id=str(e.id), existing_enrollment=f"/v1/enrollments/{e.id}",
                       headers={"Location": f"/v1/enrollments/{e.id}"})
    version = await sequences.version_of(uow=uow, sequence_id=seq.id, number=seq.current_version)
    enrollment = Enrollment.start(sequence_id=seq.id, sequence_version=version.number, prospect_id=prospect.id,
                                  timezone=timezone, variables=variables,
                                  first_due=version.step_due(0, now, ZoneInfo(timezone)), actor=ctx.actor)
    uow.session.add(enrollment)
    await uow.flush()
    await activities.record(uow=uow, prospect_id=prospect.id, kind="enrolled",
                            summary=f"Enrolled in sequence {seq.name!r} (v{version.number})",
                            data={"enrollment_id": str(enrollment.id), "sequence_id": str(seq.id)}, actor=ctx.actor)
    return enrollment


async def pause(*, uow: UnitOfWork, enrollment_id: uuid.UUID, ctx: RequestContext) -> Enrollment:
    """scheduled|active → paused."""
    e = await get(uow=uow, enrollment_id=enrollment_id, for_update=True)
    e.pause("manual", ctx.actor)
    await activities.record(uow=uow, prospect_id=e.prospect_id, kind="enrollment_paused", summary="Sequence paused",
                            data={"enrollment_id": str(e.id)}, actor=ctx.actor)
    return e


async def resume(*, uow: UnitOfWork, enrollment_id: uuid.UUID, ctx: RequestContext, now: datetime) -> Enrollment:
    """paused → active (or scheduled); the pending step is due at the next open send window from now."""
    e = await get(uow=uow, enrollment_id=enrollment_id, for_update=True)
    version = await sequences.version_of(uow=uow, sequence_id=e.sequence_id, number=e.sequence_version)
    e.resume(next_open(now, version.window(), ZoneInfo(e.timezone), version.holiday_dates()), ctx.actor)
    await activities.record(uow=uow, prospect_id=e.prospect_id, kind="enrollment_resumed", summary="Sequence resumed",
                            data={"enrollment_id": str(e.id)}, actor=ctx.actor)
    return e


async def exit_one(*, uow: UnitOfWork, enrollment: Enrollment, reason: str, actor: str, at: datetime | None = None) -> Enrollment:
    """Exit a locked enrollment (it records `crm.enrollment.exited.v1`) and note it on the timeline."""
    enrollment.exit(reason, actor, at)
    await activities.record(uow=uow, prospect_id=enrollment.prospect_id, kind="enrollment_exited",
                            summary=f"Left the sequence: {reason}",
                            data={"enrollment_id": str(enrollment.id), "reason": reason}, actor=actor)
    return enrollment


async def exit_manually(*, uow: UnitOfWork, enrollment_id: uuid.UUID, reason: str | None, ctx: RequestContext) -> Enrollment:
    """Any running state → exited (`manual`)."""
    e = await get(uow=uow, enrollment_id=enrollment_id, for_update=True)
    return await exit_one(uow=uow, enrollment=e, reason=f"manual: {reason}" if reason else "manual", actor=ctx.actor)


async def exit_all(*, uow: UnitOfWork, prospect_id: uuid.UUID, reason: str, actor: str = "crm") -> list[Enrollment]:
    """Exit every running enrollment of the prospect (reply, unsubscribe, bounce, consent, applied/hired in the ATS,
    erasure); returns the enrollments it exited (none is fine)."""
    return [await exit_one(uow=uow, enrollment=e, reason=reason, actor=actor)
            for e in await repository.running_for(uow.session, prospect_id, for_update=True)]


async def follow_merge(*, uow: UnitOfWork, survivor_id: uuid.UUID, merged_id: uuid.UUID, actor: str) -> None:
    """A merge: the duplicate's running enrollment moves to the survivor, unless the survivor has its own (then the
    duplicate's exits, reason `merged`)."""
    if await repository.running_for(uow.session, survivor_id):
        await exit_all(uow=uow, prospect_id=merged_id, reason="merged", actor=actor)
        return
    for e in await repository.running_for(uow.session, merged_id, for_update=True):
        e.move_to(survivor_id, actor)
