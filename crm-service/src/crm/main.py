"""The CRM app factory: `uvicorn --factory crm.main:create_app`."""
from fastapi import FastAPI
from shared_schemas.topics import CRM_TOPICS
from talentkit.app import create_service_app

from crm import models  # noqa: F401 - every table mapped before the first query
from crm.activities.routes import router as timeline_router
from crm.alerts.routes import router as alerts_router
from crm.bulk_pushes.routes import router as bulk_pushes_router
from crm.bulk_pushes.service import bulk_push_worker
from crm.bus import message_bus
from crm.compliance.routes import router as compliance_router
from crm.config import Settings
from crm.consent.routes import router as consent_router
from crm.db import SOURCE, platform
from crm.embeddings.worker import embedding_worker
from crm.engagement.routes import router as engagement_router
from crm.enrollments.routes import router as enrollments_router
from crm.exports.routes import router as exports_router
from crm.imports.config import ImportSettings
from crm.imports.routes import router as imports_router
from crm.imports.worker import import_worker
from crm.openness.routes import router as openness_router
from crm.openness.service import openness_worker
from crm.pools.routes import reports as pool_reports_router
from crm.pools.routes import router as pools_router
from crm.prospects.routes import router as prospects_router
from crm.public.routes import api_router as public_links_router
from crm.public.routes import router as public_pages_router
from crm.pushes.routes import router as pushes_router
from crm.resume_text.routes import router as resume_text_router
from crm.saved_searches.routes import router as saved_searches_router
from crm.saved_searches.service import saved_search_worker
from crm.search.routes import router as search_router
from crm.sending.config import SendingSettings
from crm.sending.routes import router as messages_router
from crm.sending.scheduler import sequence_scheduler
from crm.sequences.routes import router as sequences_router
from crm.talent_map.routes import router as talent_map_router
from crm.tracking.routes import router as tracking_router
from crm.work_history.routes import router as work_history_router

DESCRIPTION = """The system of engagement for people who have not applied (yet): prospects, talent pools with
their stages, the activity timeline of each prospect.

Every request needs `Authorization: Bearer <api key>`; errors are `application/problem+json` (RFC 9457).
POSTs and actions accept `Idempotency-Key`; updates need `If-Match` with the record's `ETag`.
Every change is published as a CloudEvent on Kafka (topics `crm.prospects`, `crm.pools`, …)."""

TAGS = [
    {"name": "Prospects", "description": "People the CRM knows and nurtures."},
    {"name": "Timeline and notes", "description": "The append-only activity timeline of a prospect, and notes."},
    {"name": "Talent pools", "description": "Pools with their own talent stages; a prospect's stage in each pool."},
    {"name": "Alerts and rediscovery", "description": "Talent for newly opened jobs, and alerts for recruiters."},
    {"name": "Tracking", "description": "Open pixel, tracked links, one-click unsubscribe (public, signed tokens), replies."},
    {"name": "Engagement", "description": "Engagement scores of prospects and the engagement report."},
    {"name": "Imports", "description": "CSV imports of prospects, worked through in the background, with progress and row errors."},
    {"name": "Compliance", "description": "GDPR Art. 14 notices of sourced prospects (consent renewal and expiry run "
                                          "by themselves: see Consent)."},
    {"name": "Search", "description": "Boolean, semantic and hybrid search over prospects; prospects like another."},
]
ROUTERS = [exports_router, prospects_router, pushes_router, timeline_router, pools_router, pool_reports_router, alerts_router]
ROUTERS += [sequences_router, enrollments_router, messages_router, consent_router]
ROUTERS += [tracking_router, engagement_router, imports_router]
ROUTERS += [public_pages_router, public_links_router, compliance_router, search_router, saved_searches_router,
            bulk_pushes_router, openness_router, talent_map_router, work_history_router,
            resume_text_router]
WORKERS: list = []  # type: ignore[type-arg]
WORKERS += [sequence_scheduler, import_worker, embedding_worker, saved_search_worker, bulk_push_worker, openness_worker]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the CRM."""
    SendingSettings()  # refuse a development tracking secret outside development at start-up, not at first use
    app = create_service_app(
        name="crm", title="Recruiting CRM API", description=DESCRIPTION, settings=settings or Settings(),
        platform=platform, routers=ROUTERS, source=SOURCE, relay_topics=CRM_TOPICS, workers=tuple(WORKERS),
        openapi_tags=TAGS, bus=message_bus(),
    )
    app.state.import_settings = imports = ImportSettings()
    app.state.uploads = {"/v1/imports": imports.max_bytes + 64 * 1024}  # the file plus a multipart form's framing
    return app
