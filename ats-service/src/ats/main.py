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
from ats.interviews.routes import router as interviews_router
from ats.jobs.routes import board as job_board_router
from ats.jobs.routes import router as jobs_router
from ats.merges.routes import router as merges_router
from ats.notes.routes import router as notes_router
from ats.offers.routes import router as offers_router
from ats.ranking.routes import router as ranking_router
from ats.reports.routes import router as reports_router
from ats.resumes.routes import router as resumes_router
from ats.scorecards.routes import router as scorecards_router
from ats.search.routes import router as search_router

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
    {"name": "Job board", "description": "Public feed of open jobs for job boards (no key needed)."},
    {"name": "Applications", "description": "A candidate in a job's pipeline, and the actions that move it."},
    {"name": "Reject reasons", "description": "Typed reasons for rejections and withdrawals."},
    {"name": "Reports", "description": "Funnel, time to hire, time to fill, computed from stage history."},
    {"name": "Interviews", "description": "Interviews of an application; an interviewer is never double-booked."},
    {"name": "Scorecards", "description": "Each interviewer's feedback on an interview."},
    {"name": "Offers", "description": "Versioned offers per application: draft, approval, sent, accepted or declined."},
    {"name": "Resumes", "description": "Resume files (PDF, DOCX, text) of a candidate and what was read from them."},
    {"name": "Search", "description": "Full-text search over candidates and their resumes, in a Boolean query language."},
    {"name": "Notes", "description": "Notes on a candidate, public, private to their author, or admin-only."},
    {"name": "Activity", "description": "A candidate's notes and recorded changes in one feed, newest first."},
    {"name": "Audit trail", "description": "Every write, append-only and hash-chained (scope `ats:audit`)."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the ATS."""
    return create_service_app(
        name="ats", title="ATS API", description=DESCRIPTION, settings=settings or Settings(), platform=platform,
        routers=[candidates_router, merges_router, notes_router, resumes_router, search_router, jobs_router, ranking_router,
                 job_board_router, applications_router, reject_reasons_router, interviews_router, scorecards_router,
                 offers_router, reports_router, audit_router],
        source=SOURCE, relay_topics=ATS_TOPICS, openapi_tags=TAGS, event_sinks=(audit.trail,), bus=message_bus(),
    )
