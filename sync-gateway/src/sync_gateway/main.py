"""The gateway app factory: `uvicorn --factory sync_gateway.main:create_app`."""
import logging

from fastapi import FastAPI
from shared_schemas.envelope import EventEnvelope
from shared_schemas.topics import (
    ATS_APPLICATIONS,
    ATS_CANDIDATES,
    ATS_JOBS,
    CRM_PROSPECTS,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.app import create_service_app
from talentkit.consumer import EventConsumer, TransientError

from sync_gateway import models  # noqa: F401 - every table mapped before the first query
from sync_gateway.clients.peer import PeerClient, PeerUnavailable
from sync_gateway.config import Settings
from sync_gateway.consumers.flows import BusinessFlows
from sync_gateway.consumers.profile_sync import ProfileSync
from sync_gateway.db import platform
from sync_gateway.health.routes import router as health_router
from sync_gateway.health.service import DeadLetterAlarm
from sync_gateway.links.routes import router as links_router
from sync_gateway.operations import dead_letters
from sync_gateway.operations.routes import router as operations_router
from sync_gateway.policy.routes import router as policy_router
from sync_gateway.policy.store import effective_policy
from sync_gateway.resync.routes import router as resync_router
from sync_gateway.resync.runner import ResyncRunner
from sync_gateway.webhooks.config import WebhookSettings
from sync_gateway.webhooks.routes import TAG as WEBHOOKS_TAG
from sync_gateway.webhooks.routes import router as webhooks_router
from sync_gateway.webhooks.workers import webhook_workers

log = logging.getLogger("sync_gateway")
DESCRIPTION = """Links the same person across the ATS and the CRM and carries every profile change to the other
side under a per-field ownership policy, in real time, from both systems' Kafka events; carries the business flows
(push to job, applied, hired, silver medalists, job openings); keeps conflicts and dead letters inspectable.

Every request needs `Authorization: Bearer <api key>` (scope `gateway:read`, or `gateway:admin` for changes);
errors are `application/problem+json`."""
TAGS = [{"name": "Links", "description": "The same person in the ATS and the CRM."},
        {"name": "Field policy", "description": "Who owns each profile field."},
        {"name": "Resync", "description": "Re-applying the field policy to existing links, as background jobs."}]
TOPICS = (ATS_CANDIDATES, ATS_APPLICATIONS, ATS_JOBS, CRM_PROSPECTS)


def create_app(settings: Settings | None = None, webhook_settings: WebhookSettings | None = None) -> FastAPI:
    """Build the gateway: its API plus the consumer of ATS and CRM events."""
    settings = settings or Settings()
    webhook_settings = webhook_settings or WebhookSettings()
    key = (settings.gateway_api_key or settings.admin_api_key)
    if key is None:
        raise RuntimeError("set TALENT_GATEWAY_API_KEY: the gateway writes to the ATS and CRM with it")
    ats = PeerClient(side="ats", base_url=settings.ats_url, collection="/v1/candidates",
                     api_key=key.get_secret_value(), timeout=settings.http_timeout_seconds)
    crm = PeerClient(side="crm", base_url=settings.crm_url, collection="/v1/prospects",
                     api_key=key.get_secret_value(), timeout=settings.http_timeout_seconds)
    sync = ProfileSync(ats=ats, crm=crm, policy=effective_policy)
    flows = BusinessFlows(ats=ats, crm=crm, profiles=sync, silver_min_stage=settings.silver_medalist_min_stage)
    alarm = DeadLetterAlarm(threshold=settings.dead_letter_alert_threshold,
                            window_seconds=settings.dead_letter_alert_window_seconds)

    async def handle(session: AsyncSession, event: EventEnvelope) -> None:
        await sync.handle(session, event)
        await flows.handle(session, event)

    async def sync_consumer(app: FastAPI) -> None:
        if not settings.consumer_enabled:
            return
        consumer = EventConsumer(group=settings.consumer_group, topics=TOPICS,
                                 bootstrap=settings.kafka_bootstrap_servers, sessions=app.state.sessionmaker,
                                 tables=platform, handler=handle,
                                 # no pooled connection free in time: retry, the event is fine
                                 is_transient=lambda e: isinstance(e, (TransientError, PeerUnavailable, PoolTimeout)),
                                 on_dead_letter=alarm.after(dead_letters.sink(settings.consumer_group, app.state.sessionmaker),
                                                            app.state.uow_factory))
        app.state.consumer = consumer
        try:
            await consumer.run()
        finally:
            await ats.close()
            await crm.close()

    runner = ResyncRunner(uow_factory=lambda: app.state.uow_factory(), profiles=sync,
                          concurrency=settings.resync_concurrency, batch=settings.resync_batch,
                          lease_seconds=settings.resync_lease_seconds, poll_seconds=settings.resync_poll_seconds,
                          link_attempts=settings.resync_link_attempts)

    async def resync_jobs(app: FastAPI) -> None:
        if settings.resync_runner_enabled:
            await runner.run()

    app = create_service_app(
        name="sync-gateway", title="Sync gateway API", description=DESCRIPTION, settings=settings,
        platform=platform, routers=[links_router, policy_router, operations_router, resync_router, health_router,
                                    webhooks_router], source="/sync-gateway",
        workers=(sync_consumer, resync_jobs, *webhook_workers(settings.kafka_bootstrap_servers, webhook_settings)),
        openapi_tags=[*TAGS, WEBHOOKS_TAG],
    )
    app.state.resync_runner = runner
    app.state.dead_letter_alarm = alarm
    app.state.webhook_settings = webhook_settings
    return app
