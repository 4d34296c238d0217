"""CRM events (topic `crm.prospects`)."""
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from shared_schemas.events.common import FieldChange, PersonSnapshot
from shared_schemas.personal import PERSONAL


class ProspectSnapshot(PersonSnapshot):
    """A CRM prospect as it stands after the change."""

    current_company: str | None = Field(None, json_schema_extra=PERSONAL)
    current_title: str | None = Field(None, json_schema_extra=PERSONAL)
    skills: list[str] = Field([])
    links: list[str] = Field([], json_schema_extra=PERSONAL)
    owner: str | None = None
    status: str | None = None  # active | hired | excluded


class ProspectCreatedV1(BaseModel):
    """`crm.prospect.created.v1`: a prospect was created in the CRM."""

    prospect: ProspectSnapshot


class ProspectUpdatedV1(BaseModel):
    """`crm.prospect.updated.v1`: profile fields changed; `changes` holds before and after of each."""

    prospect_id: UUID
    changes: dict[str, FieldChange]
    prospect: ProspectSnapshot


# --- Nurture sequences, consent and messages (topics `crm.consents`, `crm.enrollments`, `crm.messages`) ---

class ConsentChangedV1(BaseModel):
    """`crm.consent.changed.v1`: a prospect's consent or suppressions for one channel changed."""

    prospect_id: UUID
    purpose: str = Field("marketing", description="talent_pool, marketing or job_alerts.")
    channel: str
    status: str  # requested | granted | declined | expired | withdrawn | unknown
    lawful_basis: str | None = None
    source: str | None = None
    text_version: str | None = None
    expires_at: datetime | None = None
    suppressions: list[str] = Field(default_factory=list)
    changes: dict[str, FieldChange] = Field(default_factory=dict)


class ConsentExpiredV1(BaseModel):
    """`crm.consent.expired.v1`: a consent given for a purpose and channel was not renewed by its expiry. When the
    prospect has nothing left that lets the CRM keep them, they are anonymised in the same transaction
    (`crm.prospect.erased.v1` with reason `consent_expired` follows); the ATS keeps its own legal record."""

    prospect_id: UUID
    purpose: str
    channel: str
    expired_at: datetime


class EnrollmentSnapshot(BaseModel):
    """An enrollment of a prospect in a sequence, as it stands after the change."""

    id: UUID
    sequence_id: UUID
    sequence_version: int
    prospect_id: UUID
    status: str
    exit_reason: str | None = None
    version: int


class EnrollmentStartedV1(BaseModel):
    """`crm.enrollment.started.v1`: a prospect was enrolled in a sequence."""

    enrollment: EnrollmentSnapshot


class EnrollmentExitedV1(BaseModel):
    """`crm.enrollment.exited.v1`: an enrollment stopped before its end (reply, unsubscribe, bounce, consent, ATS, manual)."""

    enrollment: EnrollmentSnapshot
    reason: str


class MessageSnapshot(BaseModel):
    """One message of a sequence step sent to a prospect."""

    id: UUID
    enrollment_id: UUID
    prospect_id: UUID
    sequence_id: UUID
    step_index: int
    channel: str
    variant: str | None = None
    message_id_header: str | None = Field(None, description="The RFC 5322 Message-ID of an email.")
    sent_at: datetime | None = None


class MessageSentV1(BaseModel):
    """`crm.message.sent.v1`: a sequence step was handed to the mail server or SMS provider."""

    message: MessageSnapshot


class MessageBouncedV1(BaseModel):
    """`crm.message.bounced.v1`: a sent email bounced; the address is suppressed."""

    message: MessageSnapshot
    diagnostic: str | None = Field(None, json_schema_extra=PERSONAL)


class StageRef(BaseModel):
    """A talent stage of a pool."""

    id: UUID
    name: str
    position: int


class PoolMemberStageChangedV1(BaseModel):
    """`crm.pool.member_stage_changed.v1`: a prospect entered a pool (`from_stage` null) or moved within it."""

    pool_id: UUID
    pool_name: str
    prospect_id: UUID
    from_stage: StageRef | None = None
    to_stage: StageRef


class ProspectPushedToJobV1(BaseModel):
    """`crm.prospect.pushed_to_job.v1`: a recruiter asked for this prospect to be considered for an ATS job."""

    prospect_id: UUID
    job_id: UUID
    requested_by: str
    prospect: ProspectSnapshot
    push_id: UUID | None = Field(None, description="The CRM's push resource (`/v1/pushes/{push_id}`): report its "
                                                    "outcome with `POST /v1/pushes/{push_id}/outcome`.")


class AlertRaisedV1(BaseModel):
    """`crm.alert.raised.v1`: an alert for a recruiter (e.g. people to consider for a newly opened job)."""

    alert_id: UUID
    kind: str  # job_matches | engagement_threshold
    recipient: str | None = None
    title: str
    data: dict[str, Any] = {}


# --- Engagement tracking (topics `crm.messages`, `crm.prospects`) ---

class MessageOpenedV1(BaseModel):
    """`crm.message.opened.v1`: the open pixel of an email was loaded for the first time (repeats are only counted)."""

    message: MessageSnapshot
    opened_at: datetime
    opens: int = Field(description="Times the pixel was loaded so far.")


class MessageClickedV1(BaseModel):
    """`crm.message.clicked.v1`: a tracked link of an email was followed."""

    message: MessageSnapshot
    url: str
    clicked_at: datetime
    clicks: int = Field(description="Clicks on any link of the message so far.")


class MessageRepliedV1(BaseModel):
    """`crm.message.replied.v1`: a human (not an auto-reply) answered the email; the prospect's enrollments exit."""

    message: MessageSnapshot
    replied_at: datetime
    from_address: str | None = Field(None, json_schema_extra=PERSONAL)
    subject: str | None = Field(None, json_schema_extra=PERSONAL)


class ProspectPageVisitedV1(BaseModel):
    """`crm.prospect.page_visited.v1`: the prospect visited a tracked page (career site, job page)."""

    prospect_id: UUID
    url: str
    visited_at: datetime


class ProspectEngagedV1(BaseModel):
    """`crm.prospect.engaged.v1`: the prospect's engagement score crossed the alert threshold upwards."""

    prospect_id: UUID
    score: float
    level: str  # cold | warm | hot
    threshold: float
    owner: str | None = None
    alert_id: UUID | None = None


class ProspectMergedV1(BaseModel):
    """`crm.prospect.merged.v1`: `merged_id` was folded into `survivor_id` (timeline, pools, enrollment moved)."""

    survivor_id: UUID
    merged_id: UUID
    prospect: ProspectSnapshot


class ProspectErasedV1(BaseModel):
    """`crm.prospect.erased.v1`: personal data was anonymised. Carries only hashes of the normalized emails."""

    prospect_id: UUID
    email_hashes: list[str]
    reason: str | None = Field(None, description="e.g. `gdpr_request`; `consent_expired` when consent lapsed (flow 8): "
                                                 "then only the CRM side is anonymised, the ATS keeps its legal record.")
