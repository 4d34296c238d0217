"""Event payload models (the `data` of each CloudEvent), by type name."""
from pydantic import BaseModel

from shared_schemas.events import ats, crm
from shared_schemas.events.ats import CandidateCreatedV1, CandidateUpdatedV1
from shared_schemas.events.crm import ProspectCreatedV1, ProspectUpdatedV1

REGISTRY: dict[str, type[BaseModel]] = {
    "ats.candidate.created.v1": CandidateCreatedV1,
    "ats.candidate.updated.v1": CandidateUpdatedV1,
    "ats.candidate.merged.v1": ats.CandidateMergedV1,
    "ats.candidate.erased.v1": ats.CandidateErasedV1,
    "ats.job.created.v1": ats.JobCreatedV1,
    "ats.job.updated.v1": ats.JobUpdatedV1,
    "ats.job.opened.v1": ats.JobOpenedV1,
    "ats.job.closed.v1": ats.JobClosedV1,
    "ats.application.created.v1": ats.ApplicationCreatedV1,
    "ats.application.stage_changed.v1": ats.ApplicationStageChangedV1,
    "ats.application.rejected.v1": ats.ApplicationRejectedV1,
    "ats.application.unrejected.v1": ats.ApplicationUnrejectedV1,
    "ats.application.hired.v1": ats.ApplicationHiredV1,
    "ats.application.unhired.v1": ats.ApplicationUnhiredV1,
    "ats.application.transferred.v1": ats.ApplicationTransferredV1,
    "ats.application.hris_synced.v1": ats.ApplicationHrisSyncedV1,
    "ats.application.unhired_after_handoff.v1": ats.ApplicationUnhiredAfterHandoffV1,
    "ats.interview.scheduled.v1": ats.InterviewScheduledV1,
    "ats.interview.rescheduled.v1": ats.InterviewRescheduledV1,
    "ats.interview.cancelled.v1": ats.InterviewCancelledV1,
    "ats.scorecard.submitted.v1": ats.ScorecardSubmittedV1,
    "ats.offer.created.v1": ats.OfferCreatedV1,
    "ats.offer.approved.v1": ats.OfferApprovedV1,
    "ats.offer.sent.v1": ats.OfferSentV1,
    "ats.offer.accepted.v1": ats.OfferAcceptedV1,
    "ats.offer.declined.v1": ats.OfferDeclinedV1,
    "ats.background_check.requested.v1": ats.BackgroundCheckRequestedV1,
    "ats.background_check.status_changed.v1": ats.BackgroundCheckStatusChangedV1,
    "ats.background_check.adjudicated.v1": ats.BackgroundCheckAdjudicatedV1,
    "ats.resume.parsed.v1": ats.ResumeParsedV1,
    "crm.prospect.created.v1": ProspectCreatedV1,
    "crm.prospect.updated.v1": ProspectUpdatedV1,
    "crm.prospect.pushed_to_job.v1": crm.ProspectPushedToJobV1,
    "crm.prospect.merged.v1": crm.ProspectMergedV1,
    "crm.prospect.erased.v1": crm.ProspectErasedV1,
    "crm.pool.member_stage_changed.v1": crm.PoolMemberStageChangedV1,
    "crm.alert.raised.v1": crm.AlertRaisedV1,
    "crm.consent.changed.v1": crm.ConsentChangedV1,
    "crm.consent.expired.v1": crm.ConsentExpiredV1,
    "crm.enrollment.started.v1": crm.EnrollmentStartedV1,
    "crm.enrollment.exited.v1": crm.EnrollmentExitedV1,
    "crm.message.sent.v1": crm.MessageSentV1,
    "crm.message.bounced.v1": crm.MessageBouncedV1,
    "crm.message.opened.v1": crm.MessageOpenedV1,
    "crm.message.clicked.v1": crm.MessageClickedV1,
    "crm.message.replied.v1": crm.MessageRepliedV1,
    "crm.prospect.page_visited.v1": crm.ProspectPageVisitedV1,
    "crm.prospect.engaged.v1": crm.ProspectEngagedV1,
}

__all__ = ["REGISTRY", "CandidateCreatedV1", "CandidateUpdatedV1", "ProspectCreatedV1", "ProspectUpdatedV1"]
