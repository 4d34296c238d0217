"""The ATS app factory: `uvicorn --factory ats.main:create_app`."""
from typing import Any

from fastapi import FastAPI
from shared_schemas.topics import ATS_TOPICS
from talentkit.app import create_service_app

from ats import models  # noqa: F401 - every table mapped before the first query
from ats.applications.routes import reasons as reject_reasons_router
from ats.applications.routes import router as applications_router
from ats.audit import service as audit
from ats.audit.routes import router as audit_router
from ats.background_checks.performer import InvitationPerformer
from ats.background_checks.routes import by_application as checks_by_application_router
from ats.background_checks.routes import router as background_checks_router
from ats.bus import message_bus
from ats.candidates.routes import router as candidates_router
from ats.careers.public import router as careers_pages
from ats.careers.routes import router as postings_router
from ats.config import Settings
from ats.db import platform
from ats.eeo.public import router as self_identification_pages
from ats.eeo.routes import reports as eeo_report_router
from ats.eeo.routes import router as eeo_router
from ats.exports.routes import router as exports_router
from ats.holds.routes import router as legal_holds_router
from ats.hris.performer import HrisPerformer
from ats.hris.routes import router as hris_router
from ats.interviewers.routes import router as interviewers_router
from ats.interviews.routes import router as interviews_router
from ats.jobs.routes import board as job_board_router
from ats.jobs.routes import router as jobs_router
from ats.mail.sender import MailPerformer
from ats.merges.routes import router as merges_router
from ats.notes.routes import router as notes_router
from ats.offers.routes import router as offers_router
from ats.ranking.routes import router as ranking_router
from ats.reports.routes import router as reports_router
from ats.resumes.routes import router as resumes_router
from ats.retention.routes import policies as retention_policies_router
from ats.retention.routes import retention as retention_router
from ats.retention.worker import retention_worker
from ats.scheduling.public import router as scheduling_pages
from ats.scheduling.routes import invites as scheduling_invites_router
from ats.scheduling.routes import slots as slots_router
from ats.scorecards.routes import router as scorecards_router
from ats.search.routes import router as search_router
from ats.tasks.worker import task_worker

SOURCE = "/ats"  # the CloudEvents `source` of every ATS event
DESCRIPTION = """The system of record for people who have applied: jobs and their pipelines, candidates,
applications moving through stages, and a tamper-evident audit trail of every write.

Every request needs `Authorization: Bearer <api key>` (except the public job-board feed); errors are
`application/problem+json` (RFC 9457). POSTs and actions accept `Idempotency-Key`; updates need `If-Match` with the
record's `ETag`. Every change is published as a CloudEvent on Kafka (topics `ats.candidates`, `ats.jobs`,
`ats.applications`, `ats.interviews`, `ats.scorecards`, `ats.offers`, `ats.resumes`)."""

TAGS = [
    {"name": "Candidates", "description": "People in the ATS."},
    {"name": "Jobs", "description": "Jobs and their own pipeline stages (kinds: applied, screen, interview, offer, hired)."},
    {"name": "Careers site", "description": "What the public careers site (/careers) shows of a job: address or remote, salary, closing date, screening questions."},
    {"name": "Job board", "description": "Public feed of open jobs for job boards (no key needed)."},
    {"name": "Applications", "description": "A candidate in a job's pipeline, and the actions that move it."},
    {"name": "Reject reasons", "description": "Typed reasons for rejections and withdrawals."},
    {"name": "Reports", "description": "Funnel, time to hire, time to fill, computed from stage history."},
    {"name": "Interviews", "description": "Interviews of an application; an interviewer is never double-booked."},
    {"name": "Interviewers", "description": "Interviewers' working hours (in their time zone) and busy blocks."},
    {"name": "Self-scheduling", "description": "Signed links that let a candidate book an interview slot themselves."},
    {"name": "Background checks", "description": "Checks through the provider, its signed webhooks, and the adverse-action process."},
    {"name": "Scorecards", "description": "Each interviewer's feedback on an interview."},
    {"name": "Offers", "description": "Versioned offers per application: draft, approval, sent, accepted or declined."},
    {"name": "Resumes", "description": "Resume files (PDF, DOCX, text) of a candidate and what was read from them."},
    {"name": "Search", "description": "Full-text search over candidates and their resumes, in a Boolean query language."},
    {"name": "Notes", "description": "Notes on a candidate, public, private to their author, or admin-only."},
    {"name": "Activity", "description": "A candidate's notes and recorded changes in one feed, newest first."},
    {"name": "Audit trail", "description": "Every write, append-only and hash-chained (scope `ats:audit`)."},
    {"name": "EEO", "description": "Voluntary self-identification kept apart from hiring (scope `ats:eeo` only), "
                                   "and its aggregate report."},
    {"name": "Retention", "description": "Retention policies, legal holds, the dry-run preview and the retention "
                                         "runs (scope `ats:audit`)."},
]


def performers() -> dict[str, Any]:
    """What the task worker does for each kind of task."""
    return {"mail": MailPerformer(), "hris_handoff": HrisPerformer(), "background_check": InvitationPerformer()}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the ATS."""
    settings = settings or Settings()
    return create_service_app(
        name="ats", title="ATS API", description=DESCRIPTION, settings=settings, platform=platform,
        routers=[candidates_router, exports_router, merges_router, notes_router, resumes_router, search_router, jobs_router, ranking_router, postings_router, job_board_router,
                 applications_router, hris_router, reject_reasons_router, slots_router, interviews_router, interviewers_router,
                 scheduling_invites_router, scorecards_router, offers_router, checks_by_application_router,
                 background_checks_router, reports_router, audit_router, scheduling_pages, careers_pages, self_identification_pages, eeo_router,
                 eeo_report_router, retention_policies_router, retention_router, legal_holds_router],
        source=SOURCE, relay_topics=ATS_TOPICS, openapi_tags=TAGS, event_sinks=(audit.trail,), bus=message_bus(settings),
        workers=((task_worker(performers()),) if settings.tasks_enabled else ()) + (retention_worker,),
    )
