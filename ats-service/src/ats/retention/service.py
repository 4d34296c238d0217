"""Retention use cases: policies, the dry-run preview, and a run that applies it (one transaction per person, so a
run stopped half-way is simply continued by the next one)."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from talentkit.auth import RequestContext
from talentkit.clock import Clock
from talentkit.concurrency import check_if_match
from talentkit.errors import Conflict, NotFound
from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork, UnitOfWorkFactory

from ats.candidates.service import candidates
from ats.holds import repository as holds
from ats.retention import repository, rules
from ats.retention.models import RetentionPolicy, RetentionRun

log = logging.getLogger("ats.retention")
RETENTION_REASON = "retention_policy"  # the `reason` of the erased event: retention, not a request to be forgotten


async def define(*, uow: UnitOfWork, values: dict[str, Any], ctx: RequestContext) -> RetentionPolicy:
    """A new policy (409 when its office, jurisdiction or the default already has one)."""
    policy = RetentionPolicy.define(values, ctx.actor)
    if not values.get("office") and not values.get("jurisdiction") and any(
            not p.office and not p.jurisdiction for p in await repository.policies(uow.session)):
        raise Conflict("There is already a default policy (one without office and jurisdiction).")
    uow.session.add(policy)
    try:
        async with uow.session.begin_nested():
            await uow.flush()
    except IntegrityError:
        raise Conflict("A policy for this office or jurisdiction exists already.") from None
    return policy


async def get(*, uow: UnitOfWork, policy_id: uuid.UUID, for_update: bool = False) -> RetentionPolicy:
    """The policy, or 404."""
    found = await repository.policy(uow.session, policy_id, for_update=for_update)
    if found is None:
        raise NotFound(f"No retention policy with id {policy_id}.")
    return found


async def change(*, uow: UnitOfWork, policy_id: uuid.UUID, values: dict[str, Any], if_match: str | None,
                 ctx: RequestContext) -> RetentionPolicy:
    """Change a policy under If-Match."""
    policy = await get(uow=uow, policy_id=policy_id, for_update=True)
    check_if_match(if_match, policy.version)
    policy.change(values, ctx.actor)
    try:
        async with uow.session.begin_nested():
            await uow.flush()
    except IntegrityError:
        raise Conflict("A policy for this office or jurisdiction exists already.") from None
    return policy


async def retire(*, uow: UnitOfWork, policy_id: uuid.UUID, ctx: RequestContext) -> None:
    """Delete a policy (candidates it covered fall under the next matching one)."""
    policy = await get(uow=uow, policy_id=policy_id, for_update=True)
    policy.retired()
    await uow.session.delete(policy)
    await uow.flush()


async def list_policies(*, uow: UnitOfWork, paging: Paging) -> dict[str, Any]:
    """A page of policies, oldest first."""
    return await paging.page(uow.session, repository.policy_listing(), model=RetentionPolicy, filters={})


async def preview(*, uow: UnitOfWork, as_of: datetime) -> list[dict[str, Any]]:
    """Everyone retention would act on at `as_of`, when each became due, and the holds that keep some."""
    due = await _due(uow, as_of)
    held = await holds.blocking(uow.session, [d.candidate_id for d in due])
    return [{"candidate_id": d.candidate_id, "action": d.action, "due_at": d.due_at, "policy_id": d.policy_id,
             "held_by": [{"legal_hold_id": h.id, "reason": h.reason} for h in held.get(d.candidate_id, [])]}
            for d in sorted(due, key=lambda d: d.due_at)]


async def _due(uow: UnitOfWork, as_of: datetime) -> list[rules.Due]:
    policies = await repository.policies(uow.session)
    found = (rules.due(cid, created, apps, minimised, policies)
             for cid, created, minimised, apps in await repository.candidates_with_data(uow.session))
    return [d for d in found if d is not None and d.due_at <= as_of]


async def run(*, factory: UnitOfWorkFactory, clock: Clock, trigger: str, ctx: RequestContext) -> RetentionRun:
    """Apply retention as of now: anonymise or minimise everyone due and not held, each in its own transaction;
    the run (and what it did, and why it skipped) is recorded."""
    as_of = clock.now()
    async with factory(ctx) as uow:
        record = RetentionRun(id=uuid.uuid4(), trigger=trigger, as_of=as_of, status="running", anonymised=0,
                              minimised=0, held=0, errors=[], started_at=clock.now())
        uow.session.add(record)
        due = await _due(uow, as_of)
        held = await holds.blocking(uow.session, [d.candidate_id for d in due])
        await uow.commit()
    record.held = sum(1 for d in due if d.candidate_id in held)
    for d in due:
        if d.candidate_id in held:
            continue
        try:
            async with factory(ctx) as uow:
                await _apply(uow, d, as_of, ctx)
                await uow.commit()
            if d.action == "anonymise":
                record.anonymised += 1
            else:
                record.minimised += 1
        except Exception as exc:  # one person's failure must not stop everyone else's retention
            log.exception("retention failed for a candidate", extra={"candidate_id": str(d.candidate_id)})
            record.errors = [*record.errors, {"candidate_id": str(d.candidate_id), "error": type(exc).__name__}]
    async with factory(ctx) as uow:
        stored = await repository.run(uow.session, record.id)
        assert stored is not None
        stored.anonymised, stored.minimised, stored.held, stored.errors = (
            record.anonymised, record.minimised, record.held, record.errors)
        stored.status, stored.finished_at = ("failed" if record.errors else "finished"), clock.now()
        await uow.commit()
        return stored


async def _apply(uow: UnitOfWork, d: rules.Due, as_of: datetime, ctx: RequestContext) -> None:
    """Re-checked under the candidate's lock: another run (or an erasure) may have got there first."""
    record = await candidates.get(uow.session, d.candidate_id, for_update=True)
    if record.erased_at or (await holds.blocking(uow.session, [d.candidate_id])):
        return
    if d.action == "anonymise":
        record.erase(RETENTION_REASON, ctx.actor)
    elif not record.minimised_at:
        record.minimise(ctx.actor, as_of)


async def list_runs(*, uow: UnitOfWork, paging: Paging) -> dict[str, Any]:
    """A page of runs, oldest first."""
    return await paging.page(uow.session, repository.run_listing(), model=RetentionRun, filters={})
