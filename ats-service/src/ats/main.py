"""The ATS app factory: `uvicorn --factory ats.main:create_app`."""
from fastapi import FastAPI
from shared_schemas.topics import ATS_TOPICS
from talentkit.app import create_service_app

from ats import models  # noqa: F401 - every table mapped before the first query
from ats.applications.routes import reasons as reject_reasons_router
from ats.applications.routes import router as applications_router
from ats.audit import service as audit
from ats.audit.routes import router as audit_router
from ats.bus import message_bus
from ats.candidates.routes import router as candidates_router
from ats.config import Settings
from ats.db import platform
from ats.eeo.routes import reports as eeo_report_router
from ats.eeo.routes import router as eeo_router
from ats.exports.routes import router as exports_router
from ats.holds.routes import router as legal_holds_router
from ats.interviews.routes import router as interviews_router
from ats.jobs.routes import board as job_board_router
from ats.jobs.routes import router as jobs_router
from ats.merges.routes import router as merges_router
from ats.notes.routes import router as notes_router
from ats.offers.routes import router as offers_router
from ats.reports.routes import router as reports_router
from ats.retention.routes import policies as retention_policies_router
from ats.retention.routes import retention as retention_router
from ats.retention.worker import retention_worker
from ats.scorecards.routes import router as scorecards_router

SOURCE = "/ats"  # the CloudEvents `source` of every ATS event
DESCRIPTION = """The system of record for people who have applied: jobs and their pipelines, candidates,
applications moving through stages, and a tamper-evident audit trail of every write.

Every request needs `Authorization: Bearer <api key>` (except the public job-board feed); errors are
`application/problem+json` (RFC 9457). POSTs and actions accept `Idempotency-Key`; updates need `If-Match` with the
record's `ETag`. Every change is published as a CloudEvent on Kafka (topics `ats.candidates`, `ats.jobs`,
`ats.applications`, `ats.interviews`, `ats.scorecards`, `ats.offers`)."""

TAGS = [
    {"name": "Candidates", "description": "People in the ATS."},
    {"name": "Jobs", "description": "Jobs and their own pipeline stages (kinds: applied, screen, interview, offer, hired)."},
    {"name": "Job board", "description": "Public feed of open jobs for job boards (no key needed)."},
    {"name": "Applications", "description": "A candidate in a job's pipeline, and the actions that move it."},
    {"name": "Reject reasons", "description": "Typed reasons for rejections and withdrawals."},
    {"name": "Reports", "description": "Funnel, time to hire, time to fill, computed from stage history."},
    {"name": "Interviews", "description": "Interviews of an application; an interviewer is never double-booked."},
    {"name": "Scorecards", "description": "Each interviewer's feedback on an interview."},
    {"name": "Offers", "description": "Versioned offers per application: draft, approval, sent, accepted or declined."},
    {"name": "Notes", "description": "Notes on a candidate, public, private to their author, or admin-only."},
    {"name": "Activity", "description": "A candidate's notes and recorded changes in one feed, newest first."},
    {"name": "Audit trail", "description": "Every write, append-only and hash-chained (scope `ats:audit`)."},
    {"name": "EEO", "description": "Voluntary self-identification kept apart from hiring (scope `ats:eeo` only), "
                                   "and its aggregate report."},
    {"name": "Retention", "description": "Retention policies, legal holds, the dry-run preview and the retention "
                                         "runs (scope `ats:audit`)."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the ATS."""
    return create_service_app(
        name="ats", title="ATS API", description=DESCRIPTION, settings=settings or Settings(), platform=platform,
        routers=[candidates_router, exports_router, merges_router, notes_router, jobs_router, job_board_router, applications_router, reject_reasons_router,
                 interviews_router, scorecards_router, offers_router, reports_router, audit_router, eeo_router,
                 eeo_report_router, retention_policies_router, retention_router, legal_holds_router],
        source=SOURCE, relay_topics=ATS_TOPICS, openapi_tags=TAGS, event_sinks=(audit.trail,), bus=message_bus(),
        workers=(retention_worker,),
    )
