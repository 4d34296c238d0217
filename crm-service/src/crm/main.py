"""The CRM app factory: `uvicorn --factory crm.main:create_app`."""
from fastapi import FastAPI

from crm.config import Settings
from crm.db import platform
from crm.prospects.routes import router as prospects_router
from crm.prospects.service import SOURCE
from shared_schemas.topics import CRM_PROSPECTS
from talentkit.app import create_service_app

DESCRIPTION = """The system of engagement for people who have not applied (yet).

Every request needs `Authorization: Bearer <api key>`; errors are `application/problem+json` (RFC 9457).
POSTs accept `Idempotency-Key`; updates need `If-Match` with the record's `ETag`.
Every change is published as a CloudEvent on Kafka (topic `crm.prospects`)."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the CRM."""
    return create_service_app(
        name="crm", title="Recruiting CRM API", description=DESCRIPTION, settings=settings or Settings(),
        platform=platform, routers=[prospects_router], source=SOURCE, relay_topics=(CRM_PROSPECTS,),
        openapi_tags=[{"name": "Prospects", "description": "People the CRM knows and nurtures."}],
    )
