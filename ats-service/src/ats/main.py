"""The ATS app factory: `uvicorn --factory ats.main:create_app`."""
from fastapi import FastAPI

from ats.candidates.routes import router as candidates_router
from ats.candidates.service import SOURCE
from ats.config import Settings
from ats.db import platform
from shared_schemas.topics import ATS_CANDIDATES
from talentkit.app import create_service_app

DESCRIPTION = """The system of record for people who have applied.

Every request needs `Authorization: Bearer <api key>`; errors are `application/problem+json` (RFC 9457).
POSTs accept `Idempotency-Key`; updates need `If-Match` with the record's `ETag`.
Every change is published as a CloudEvent on Kafka (topic `ats.candidates`)."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the ATS."""
    return create_service_app(
        name="ats", title="ATS API", description=DESCRIPTION, settings=settings or Settings(),
        platform=platform, routers=[candidates_router], source=SOURCE, relay_topics=(ATS_CANDIDATES,),
        openapi_tags=[{"name": "Candidates", "description": "People in the ATS."}],
    )
