"""ATS events (topics `ats.candidates`, `ats.jobs`, `ats.applications`, ...)."""
from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from shared_schemas.events.common import FieldChange, PersonSnapshot
from shared_schemas.personal import PERSONAL


class CandidateSnapshot(PersonSnapshot):
    """An ATS candidate as it stands after the change."""


class CandidateCreatedV1(BaseModel):
    """`ats.candidate.created.v1`: a candidate was created in the ATS."""

    candidate: CandidateSnapshot


class CandidateUpdatedV1(BaseModel):
    """`ats.candidate.updated.v1`: profile fields changed; `changes` holds before and after of each."""

    candidate_id: UUID
    changes: dict[str, FieldChange]
    candidate: CandidateSnapshot


# --- jobs ---------------------------------------------------------------------------------------------------

class StageRef(BaseModel):
    """A job's pipeline stage. `kind` is one of applied, screen, interview, offer, hired (in pipeline order)."""

    id: UUID
    name: str
    kind: str
    position: int


class JobRequirements(BaseModel):
    """What a job asks for, as rank-and-grade and talent rediscovery read it. Skills are canonical names from the
    ATS's skills vocabulary (`k8s` is stored as `Kubernetes`)."""

    must_have_skills: list[str] = []
    nice_to_have_skills: list[str] = []
    min_years: float | None = None
    location: str | None = None
    remote: bool = False


class JobSnapshot(BaseModel):
    id: UUID
    title: str
    department: str | None = None
    location: str | None = None
    employment_type: str | None = None
    recruiter: str | None = None
    hiring_manager: str | None = None
    openings: int
    status: str  # draft | open | closed
    close_reason: str | None = None
    stages: list[StageRef] = []
    version: int
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    description: str | None = None
    requirements: JobRequirements | None = None


class JobCreatedV1(BaseModel):
    """`ats.job.created.v1`: a job was created (as a draft)."""

    job: JobSnapshot


class JobUpdatedV1(BaseModel):
    """`ats.job.updated.v1`: job fields or its stages changed."""

    job_id: UUID
    changes: dict[str, FieldChange]
    job: JobSnapshot


class JobOpenedV1(BaseModel):
    """`ats.job.opened.v1`: the job accepts applications (first opening or a reopen)."""

    job: JobSnapshot
    reopened: bool = False


class JobClosedV1(BaseModel):
    """`ats.job.closed.v1`: the job stopped accepting applications."""

    job: JobSnapshot
    reason: str


# --- applications ---------------------------------------------------------------------------------------------

class ApplicationSnapshot(BaseModel):
    id: UUID
    candidate_id: UUID
    job_id: UUID
    stage: StageRef
    status: str  # active | rejected | withdrawn | hired
    source: str | None = None
    referrer: str | None = Field(None, json_schema_extra=PERSONAL)
    version: int
    applied_at: datetime


class TalentPoolConsent(BaseModel):
    """The candidate ticked the careers form's box: keep them in the talent pool and tell them about other jobs."""

    given_at: datetime
    text_version: str


class ApplicationCreatedV1(BaseModel):
    """`ats.application.created.v1`: a candidate applied (or was added) to a job. `talent_pool_consent` is set
    when they applied on the careers site and agreed to join the talent pool."""

    application: ApplicationSnapshot
    talent_pool_consent: TalentPoolConsent | None = None


class ApplicationStageChangedV1(BaseModel):
    """`ats.application.stage_changed.v1`: moved between two stages of its job (kinds included)."""

    application_id: UUID
    candidate_id: UUID
    job_id: UUID
    from_stage: StageRef
    to_stage: StageRef
    application: ApplicationSnapshot


class RejectReasonRef(BaseModel):
    id: UUID
    name: str
    kind: str  # we_rejected | they_withdrew | none_specified


class ApplicationRejectedV1(BaseModel):
    """`ats.application.rejected.v1`: rejected (or withdrawn), with the reason and the stage it had reached."""

    application_id: UUID
    candidate_id: UUID
    job_id: UUID
    reason: RejectReasonRef
    notes: str | None = Field(None, json_schema_extra=PERSONAL)
    stage: StageRef
    application: ApplicationSnapshot


class ApplicationUnrejectedV1(BaseModel):
    """`ats.application.unrejected.v1`: a rejection was undone; the application is active again."""

    application_id: UUID
    candidate_id: UUID
    job_id: UUID
    application: ApplicationSnapshot


class ApplicationHiredV1(BaseModel):
    """`ats.application.hired.v1`: the candidate was hired for the job."""

    application_id: UUID
    candidate_id: UUID
    job_id: UUID
    start_date: date | None = None
    override: bool = False
    from_stage: StageRef
    application: ApplicationSnapshot


class ApplicationUnhiredV1(BaseModel):
    """`ats.application.unhired.v1`: a hire was undone; back to the stage before the hire."""

    application_id: UUID
    candidate_id: UUID
    job_id: UUID
    application: ApplicationSnapshot


class ApplicationTransferredV1(BaseModel):
    """`ats.application.transferred.v1`: moved to another job's first stage."""

    application_id: UUID
    candidate_id: UUID
    from_job_id: UUID
    to_job_id: UUID
    from_stage: StageRef
    to_stage: StageRef
    application: ApplicationSnapshot


class CandidateMergedV1(BaseModel):
    """`ats.candidate.merged.v1`: `merged_id` was folded into `survivor_id` (applications, notes, history moved)."""

    survivor_id: UUID
    merged_id: UUID
    candidate: CandidateSnapshot


# --- interviews, scorecards, offers ------------------------------------------------------------------------------

class InterviewSnapshot(BaseModel):
    id: UUID
    application_id: UUID
    candidate_id: UUID
    job_id: UUID
    stage_id: UUID
    starts_at: datetime
    ends_at: datetime
    timezone: str
    interviewers: list[str]
    location: str | None = Field(None, json_schema_extra=PERSONAL)  # free text: may name the person
    video_link: str | None = Field(None, json_schema_extra=PERSONAL)
    status: str  # scheduled | awaiting_feedback | complete | cancelled
    version: int


class InterviewScheduledV1(BaseModel):
    """`ats.interview.scheduled.v1`."""

    interview: InterviewSnapshot


class InterviewRescheduledV1(BaseModel):
    """`ats.interview.rescheduled.v1`: new times (previous ones included)."""

    interview: InterviewSnapshot
    previous_starts_at: datetime
    previous_ends_at: datetime


class InterviewCancelledV1(BaseModel):
    """`ats.interview.cancelled.v1`."""

    interview: InterviewSnapshot
    reason: str | None = Field(None, json_schema_extra=PERSONAL)


class ScorecardSubmittedV1(BaseModel):
    """`ats.scorecard.submitted.v1`: an interviewer's feedback. Ratings and notes stay in the ATS (policy `none`):
    the event says who recommended what, for integrations that track feedback completion."""

    scorecard_id: UUID
    interview_id: UUID
    application_id: UUID
    candidate_id: UUID
    interviewer: str
    overall_recommendation: str  # strong_no | no | mixed | yes | strong_yes
    submitted_at: datetime


class OfferSnapshot(BaseModel):
    id: UUID
    application_id: UUID
    candidate_id: UUID
    job_id: UUID
    offer_version: int
    status: str  # draft | approval_pending | approved | sent | accepted | declined | rescinded
    start_date: date | None = None
    version: int


class OfferCreatedV1(BaseModel):
    """`ats.offer.created.v1`."""

    offer: OfferSnapshot


class OfferApprovedV1(BaseModel):
    """`ats.offer.approved.v1`."""

    offer: OfferSnapshot


class OfferSentV1(BaseModel):
    """`ats.offer.sent.v1`."""

    offer: OfferSnapshot


class OfferAcceptedV1(BaseModel):
    """`ats.offer.accepted.v1`: the application becomes hireable."""

    offer: OfferSnapshot


class OfferDeclinedV1(BaseModel):
    """`ats.offer.declined.v1`."""

    offer: OfferSnapshot
    reason: str | None = Field(None, json_schema_extra=PERSONAL)


class CandidateErasedV1(BaseModel):
    """`ats.candidate.erased.v1`: personal data was anonymised (right to be forgotten). Carries only hashes of
    the normalized email addresses, so other systems can erase and refuse silent re-imports."""

    candidate_id: UUID
    email_hashes: list[str]
    reason: str | None = None


class ApplicationHrisSyncedV1(BaseModel):
    """`ats.application.hris_synced.v1`: the hire reached the HRIS, which holds the employee as `hris_employee_id`."""

    application_id: UUID
    candidate_id: UUID
    job_id: UUID
    hris_employee_id: str
    synced_at: datetime
    application: ApplicationSnapshot


class ApplicationUnhiredAfterHandoffV1(BaseModel):
    """`ats.application.unhired_after_handoff.v1`: an alert. The hire was undone after the HRIS received the
    employee; the HRIS is not changed by the ATS, so someone must reconcile it (`hris_employee_id`)."""

    application_id: UUID
    candidate_id: UUID
    job_id: UUID
    hris_employee_id: str | None = None
    application: ApplicationSnapshot


# --- background checks ---------------------------------------------------------------------------------------

class BackgroundCheckSnapshot(BaseModel):
    id: UUID
    application_id: UUID
    candidate_id: UUID
    package: str
    status: str  # requested | invited | pending | completed | suspended | cancelled
    result: str | None = None  # clear | consider, once completed
    adjudication: str | None = None  # engaged | pre_adverse_action | adverse_action
    version: int


class BackgroundCheckRequestedV1(BaseModel):
    """`ats.background_check.requested.v1`: a check was ordered for an application, with the candidate's consent."""

    check: BackgroundCheckSnapshot
    consent_given_at: datetime


class BackgroundCheckStatusChangedV1(BaseModel):
    """`ats.background_check.status_changed.v1`: the provider moved the check (invited, pending, completed with
    a result, suspended, cancelled)."""

    check: BackgroundCheckSnapshot
    previous_status: str


class BackgroundCheckAdjudicatedV1(BaseModel):
    """`ats.background_check.adjudicated.v1`: a decision on a `consider` result: `engaged` (the hire may go on),
    `pre_adverse_action` (notice sent; `waiting_until` the final decision may be taken) or `adverse_action`."""

    check: BackgroundCheckSnapshot
    decision: str
    waiting_until: datetime | None = None


# --- resumes ---------------------------------------------------------------------------------------------------

class ResumeParsedV1(BaseModel):
    """`ats.resume.parsed.v1`: a resume was uploaded to a candidate and read. It carries what search and matching
    need, never the file or its text; new emails, phones and links reach the profile (and its
    `ats.candidate.updated.v1`) in the same transaction."""

    resume_id: UUID
    candidate_id: UUID
    sha256: str
    content_type: str
    size_bytes: int
    pages: int
    skills: list[str] = []
    current_title: str | None = None
    years_of_experience: float | None = None
    contact_points_added: dict[str, int] = {}
