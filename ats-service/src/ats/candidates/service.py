"""Candidate use cases: the shared profile rules bound to the ATS's event types, and erasure (a candidate's notes
are erased by the notes feature, reacting to `ats.candidate.erased.v1`)."""
import uuid

from talentkit.auth import RequestContext
from talentkit.profiles.service import ProfileEvents, ProfileService
from talentkit.uow import UnitOfWork

from ats.candidates.models import Candidate
from ats.holds.service import ensure_not_held


class CandidateService(ProfileService[Candidate]):
    """Profiles of the ATS; changes refuse erased (410) and merged (409) candidates."""

    def check_writable(self, record: Candidate) -> None:
        """Changes are refused for an erased (410) or merged (409) candidate."""
        record.ensure_writable()


candidates = CandidateService(Candidate, ProfileEvents(
    aggregate="candidate", created_type="ats.candidate.created.v1", updated_type="ats.candidate.updated.v1"))


async def erase(*, uow: UnitOfWork, candidate_id: uuid.UUID, reason: str | None, ctx: RequestContext) -> Candidate:
    """Right to be forgotten: anonymise the candidate (409 under a legal hold); applications, stage history and
    the audit trail stay without personal data (the features holding some react to `ats.candidate.erased.v1`)."""
    record = await candidates.get(uow.session, candidate_id, for_update=True)
    await ensure_not_held(uow, candidate_id, "erased")
    record.erase(reason, ctx.actor)
    return record
