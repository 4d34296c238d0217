"""Fold a duplicate candidate into the survivor."""
from __future__ import annotations

import uuid

from talentkit.auth import RequestContext
from talentkit.errors import Conflict, Unprocessable, field_error
from talentkit.uow import UnitOfWork

from ats.applications import repository as applications
from ats.candidates.models import Candidate
from ats.candidates.service import candidates


async def merge(*, uow: UnitOfWork, survivor_id: uuid.UUID, duplicate_id: uuid.UUID, ctx: RequestContext) -> Candidate:
    """Fold `duplicate_id` into `survivor_id`: its applications (with their stage history) move over, contact
    points and tags are added to the survivor, the duplicate is marked merged (its notes follow, see
    `notes.handlers`). One application per job: when both applied to the same job, the merge is refused (409)
    until one of them is resolved."""
    if survivor_id == duplicate_id:
        raise Unprocessable("A candidate cannot be merged into itself.", errors=[field_error("duplicate_id", "same as the survivor")])
    session = uow.session
    first, second = sorted([survivor_id, duplicate_id])  # lock in a fixed order: no deadlock between opposite merges
    locked = {c.id: c for c in [await candidates.get(session, first, for_update=True),
                                await candidates.get(session, second, for_update=True)]}
    survivor, duplicate = locked[survivor_id], locked[duplicate_id]
    for c in (survivor, duplicate):
        c.not_merged()
    apps = await applications.of_candidates(session, [survivor_id, duplicate_id])
    survivor_jobs = {a.job_id for a in apps if a.candidate_id == survivor_id}
    clashes = [a for a in apps if a.candidate_id == duplicate_id and a.job_id in survivor_jobs]
    if clashes:
        raise Conflict("Both candidates applied to the same job; reject or transfer one of the applications first.",
                       job_ids=[str(a.job_id) for a in clashes])
    moved = [a for a in apps if a.candidate_id == duplicate_id]
    for a in moved:
        a.merged_candidate(survivor_id, ctx.actor)
    gained = survivor.contact_points_of(duplicate)
    if gained:
        await candidates.update(uow=uow, id=survivor_id, values=gained, if_match="*", ctx=ctx)
    duplicate.merge_into(survivor, ctx.actor)
    survivor.absorbed(duplicate, applications=[a.id for a in moved], gained=gained)
    return survivor
