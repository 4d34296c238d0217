"""The gateway app factory: `uvicorn --factory sync_gateway.main:create_app`."""
import logging

from fastapi import FastAPI
from shared_schemas.policy import DEFAULT_POLICY
from shared_schemas.topics import (
    ATS_APPLICATIONS,
    ATS_CANDIDATES,
    ATS_JOBS,
    CRM_PROSPECTS,
)
from talentkit.app import create_service_app
from talentkit.consumer import EventConsumer, TransientError

from sync_gateway.clients.peer import PeerClient, PeerUnavailable
from sync_gateway.config import Settings
from sync_gateway.consumers.flows import BusinessFlows
from sync_gateway.consumers.profile_sync import ProfileSync
from sync_gateway.db import platform
from sync_gateway.links.routes import router as links_router
from sync_gateway.policy.routes import router as policy_router

log = logging.getLogger("sync_gateway")
DESCRIPTION = """Links the same person across the ATS and the CRM and carries every profile change to the other
side under a per-field ownership policy, in real time, from both systems' Kafka events.

Every request needs `Authorization: Bearer <api key>` (scope `gateway:read`); errors are `application/problem+json`."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the gateway: its API plus the consumer of ATS and CRM events."""
    settings = settings or Settings()
    key = (settings.gateway_api_key or settings.admin_api_key)
    if key is None:
        raise RuntimeError("set TALENT_GATEWAY_API_KEY: the gateway writes to the ATS and CRM with it")

    async def sync_consumer(app: FastAPI) -> None:
        if not settings.consumer_enabled:
            return
        ats = PeerClient(side="ats", base_url=settings.ats_url, collection="/v1/candidates",
                         api_key=key.get_secret_value(), timeout=settings.http_timeout_seconds)
        crm = PeerClient(side="crm", base_url=settings.crm_url, collection="/v1/prospects",
                         api_key=key.get_secret_value(), timeout=settings.http_timeout_seconds)
        sync = ProfileSync(ats=ats, crm=crm, policy=DEFAULT_POLICY)
        flows = BusinessFlows(ats=ats, crm=crm, profiles=sync, silver_min_stage=settings.silver_medalist_min_stage)

        async def handle(session, event):  # type: ignore[no-untyped-def]
            await sync.handle(session, event)
            await flows.handle(session, event)

        consumer = EventConsumer(group=settings.consumer_group, topics=(ATS_CANDIDATES, ATS_APPLICATIONS, ATS_JOBS, CRM_PROSPECTS),
                                 bootstrap=settings.kafka_bootstrap_servers, sessions=app.state.sessionmaker,
                                 tables=platform, handler=handle,
                                 is_transient=lambda e: isinstance(e, (TransientError, PeerUnavailable)))
        app.state.consumer = consumer
        try:
            await consumer.run()
        finally:
            await ats.close()
            await crm.close()

    return create_service_app(
        name="sync-gateway", title="Sync gateway API", description=DESCRIPTION, settings=settings,
        platform=platform, routers=[links_router, policy_router], source="/sync-gateway", workers=(sync_consumer,),
        openapi_tags=[{"name": "Links", "description": "The same person in the ATS and the CRM."},
                      {"name": "Field policy", "description": "Who owns each profile field."}],
    )
