"""Resync as a service: request a job (at most one active per scope), read it, cancel it; resync one person now."""
import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from talentkit.auth import RequestContext
from talentkit.errors import Conflict, NotFound
from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork

from sync_gateway.conflicts import repository as conflicts
from sync_gateway.links import repository as links
from sync_gateway.links.models import Link
from sync_gateway.policy.engine import Side
from sync_gateway.profiles.service import ProfileSync
from sync_gateway.resync import repository
from sync_gateway.resync.models import ACTIVE, ResyncJob
from sync_gateway.resync.schemas import job_body


def scope_of(*, all_links: bool, ats_candidate_ids: list[uuid.UUID], crm_prospect_ids: list[uuid.UUID]) -> str:
    """`all`, or a digest naming exactly these ids (the same request twice is the same scope)."""
    if all_links:
        return "all"
    ids = sorted(f"ats:{i}" for i in set(ats_candidate_ids)) + sorted(f"crm:{i}" for i in set(crm_prospect_ids))
    return "links:" + hashlib.sha256("\n".join(ids).encode()).hexdigest()[:32]


class ScopeBusy(Conflict):
    """A job for the same links is already queued or running."""


async def request(*, uow: UnitOfWork, all_links: bool, ats_candidate_ids: list[uuid.UUID],
                  crm_prospect_ids: list[uuid.UUID], ctx: RequestContext) -> ResyncJob:
    """Queue a resync job; ScopeBusy (409, carrying the active job) when one for the same scope is active."""
    scope = scope_of(all_links=all_links, ats_candidate_ids=ats_candidate_ids, crm_prospect_ids=crm_prospect_ids)
    job = await repository.add(uow.session, {
        "scope": scope, "all_links": all_links, "requested_by": ctx.actor,
        "ats_candidate_ids": [] if all_links else sorted(set(ats_candidate_ids)),
        "crm_prospect_ids": [] if all_links else sorted(set(crm_prospect_ids))})
    if job is None:
        active = await repository.active_in_scope(uow.session, scope)
        raise ScopeBusy("A resync of the same links is already queued or running; follow it, or cancel it first.",
                        running_job=job_body(active) if active else None)
    return job


async def list_jobs(*, uow: UnitOfWork, paging: Paging, status: str | None) -> dict[str, Any]:
    """A page of jobs (all, or those in `status`), oldest first, each as its read body."""
    found = await paging.page(uow.session, repository.listing(status=status), created_col=ResyncJob.created_at,
                              id_col=ResyncJob.id, filters={"status": status})
    return {**found, "data": [job_body(j) for j in found["data"]]}


async def get(*, uow: UnitOfWork, job_id: uuid.UUID) -> ResyncJob:
    """One job, or 404."""
    job = await repository.get(uow.session, job_id)
    if job is None:
        raise NotFound(f"No resync job with id {job_id}.")
    return job


async def cancel(*, uow: UnitOfWork, job_id: uuid.UUID, ctx: RequestContext) -> ResyncJob:
    """Stop a queued or running job (its runner stops after the batch in hand); 409 once it has finished."""
    job = await repository.get(uow.session, job_id, for_update=True)
    if job is None:
        raise NotFound(f"No resync job with id {job_id}.")
    if job.status not in ACTIVE:
        raise Conflict(f"The resync job already {job.status}.")
    job.status, job.cancelled_by, job.finished_at = "cancelled", ctx.actor, datetime.now(UTC)
    await uow.flush()
    return job


async def resync_person(*, uow_factory: Callable[[], UnitOfWork], profiles: ProfileSync, side: Side,
                        record_id: uuid.UUID, causation_id: str) -> tuple[Link | None, str]:
    """Re-apply the policy both ways to one person's link now, without a job (the CLI): the link is read in one
    short transaction, the peers are called with none open, the conflicts are logged in another. Returns the link
    (None when the person has none) and `resynced` or `skipped` (a side erased, merged away or gone)."""
    async with uow_factory() as uow:
        link = await links.by_side(uow.session, side, record_id)
        policy = await profiles.policy.current(uow.session)
        await uow.commit()
    if link is None:
        return None, "unlinked"
    outcome, found = await profiles.resync(link, policy=policy, causation_id=causation_id)
    if found:
        async with uow_factory() as uow:
            await conflicts.record(uow.session, found)
            await uow.commit()
    return link, outcome
