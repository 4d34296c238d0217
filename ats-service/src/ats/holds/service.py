"""Legal hold use cases, and the check erasure and retention make."""
from __future__ import annotations

import uuid
from typing import Any

from talentkit.auth import RequestContext
from talentkit.errors import Conflict, NotFound, Unprocessable, field_error
from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork

from ats.holds import repository
from ats.holds.models import LegalHold
from ats.jobs import repository as jobs


async def place(*, uow: UnitOfWork, candidate_id: uuid.UUID | None, job_id: uuid.UUID | None, reason: str,
                matter: str | None, ctx: RequestContext) -> LegalHold:
    """Put a candidate or a job under legal hold."""
    if candidate_id and not await repository.candidate_exists(uow.session, candidate_id):
        raise Unprocessable("No such candidate.", errors=[field_error("candidate_id", "unknown candidate")])
    if job_id and await jobs.get(uow.session, job_id) is None:
        raise Unprocessable("No such job.", errors=[field_error("job_id", "unknown job")])
    hold = LegalHold.place(candidate_id=candidate_id, job_id=job_id, reason=reason, matter=matter, actor=ctx.actor)
    uow.session.add(hold)
    await uow.flush()
    return hold


async def get(*, uow: UnitOfWork, hold_id: uuid.UUID, for_update: bool = False) -> LegalHold:
    """The hold, or 404."""
    hold = await repository.get(uow.session, hold_id, for_update=for_update)
    if hold is None:
        raise NotFound(f"No legal hold with id {hold_id}.")
    return hold


async def release(*, uow: UnitOfWork, hold_id: uuid.UUID, ctx: RequestContext) -> LegalHold:
    """End a hold."""
    hold = await get(uow=uow, hold_id=hold_id, for_update=True)
    hold.release(ctx.actor)
    await uow.flush()
    return hold


async def list_holds(*, uow: UnitOfWork, paging: Paging, candidate_id: uuid.UUID | None, job_id: uuid.UUID | None,
                     active: bool | None) -> dict[str, Any]:
    """A page of holds, oldest first."""
    filters = {k: str(v) for k, v in (("candidate_id", candidate_id), ("job_id", job_id), ("active", active)) if v is not None}
    return await paging.page(uow.session, repository.listing(candidate_id=candidate_id, job_id=job_id, active=active),
                             model=LegalHold, filters=filters)


async def ensure_not_held(uow: UnitOfWork, candidate_id: uuid.UUID, doing: str) -> None:
    """409 naming every active hold that covers the candidate."""
    holds = (await repository.blocking(uow.session, [candidate_id])).get(candidate_id, [])
    if holds:
        raise Conflict(f"The candidate is under legal hold, so they cannot be {doing}: "
                       + "; ".join(h.why() for h in holds) + ". Release the hold first.",
                       legal_holds=[str(h.id) for h in holds], reason="legal_hold")
