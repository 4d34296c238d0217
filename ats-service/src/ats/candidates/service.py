"""Candidate use cases: the shared profile rules bound to the ATS's event types, and erasure (a candidate's notes
are erased by the notes feature, reacting to `ats.candidate.erased.v1`)."""
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.profiles.service import ProfileEvents, ProfileService
from talentkit.uow import UnitOfWork

from ats.candidates.models import Candidate
from ats.holds.service import ensure_not_held


class CandidateService(ProfileService[Candidate]):
    """Profiles of the ATS; changes refuse erased (410) and merged (409) candidates."""

    async def update(self, session: AsyncSession, id: uuid.UUID, values: dict[str, Any], *,
                     if_match: str | None, ctx: RequestContext) -> Candidate:
        (await self.get(session, id, for_update=True)).ensure_writable()
        return await super().update(session, id, values, if_match=if_match, ctx=ctx)

    async def add_contact_points(self, session: AsyncSession, id: uuid.UUID, values: dict[str, list[str]], *,
                                 ctx: RequestContext, **kwargs: Any) -> dict[str, list[str]]:
        (await self.get(session, id, for_update=True)).ensure_writable()
        return await super().add_contact_points(session, id, values, ctx=ctx, **kwargs)


candidates = CandidateService(Candidate, ProfileEvents(
    aggregate="candidate", created_type="ats.candidate.created.v1", updated_type="ats.candidate.updated.v1"))


async def erase(*, uow: UnitOfWork, candidate_id: uuid.UUID, reason: str | None, ctx: RequestContext) -> Candidate:
    """Right to be forgotten: anonymise the candidate (409 under a legal hold); applications, stage history and
    the audit trail stay without personal data (the features holding some react to `ats.candidate.erased.v1`)."""
    record = await candidates.get(uow.session, candidate_id, for_update=True)
    await ensure_not_held(uow, candidate_id, "erased")
    record.erase(reason, ctx.actor)
    return record
