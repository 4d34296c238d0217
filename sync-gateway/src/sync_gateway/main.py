"""The gateway app factory: `uvicorn --factory sync_gateway.main:create_app`."""
from fastapi import FastAPI
from talentkit.app import create_service_app
from talentkit.consumer import EventConsumer

from sync_gateway import container, metering
from sync_gateway.config import Settings
from sync_gateway.conflicts.routes import router as conflicts_router
from sync_gateway.consumers.handler import TOPICS
from sync_gateway.db import platform
from sync_gateway.health.routes import router as health_router
from sync_gateway.links.routes import router as links_router
from sync_gateway.operations.routes import router as operations_router
from sync_gateway.policy.routes import router as policy_router
from sync_gateway.resync.routes import router as resync_router
from sync_gateway.subject_requests.routes import router as subject_requests_router
from sync_gateway.subject_requests.service import Peers
from sync_gateway.webhooks.config import WebhookSettings
from sync_gateway.webhooks.routes import TAG as WEBHOOKS_TAG
from sync_gateway.webhooks.routes import router as webhooks_router
from sync_gateway.webhooks.workers import webhook_workers

DESCRIPTION = """Links the same person across the ATS and the CRM and carries every profile change to the other
side under a per-field ownership policy, in real time, from both systems' Kafka events; carries the business flows
(push to job, applied, hired, silver medalists, job openings); keeps conflicts and dead letters inspectable.

Every request needs `Authorization: Bearer <api key>` (scope `gateway:read`, or `gateway:admin` for changes);
errors are `application/problem+json`."""
TAGS = [{"name": "Links", "description": "The same person in the ATS and the CRM."},
        {"name": "Field policy", "description": "Who owns each profile field."},
        {"name": "Conflicts", "description": "Every value the field policy overrode."},
        {"name": "Resync", "description": "Re-applying the field policy to existing links, as background jobs."}]


def create_app(settings: Settings | None = None, webhook_settings: WebhookSettings | None = None) -> FastAPI:
    """Build the gateway: its API plus the consumer of ATS and CRM events and the resync job runner."""
    settings = settings or Settings()
    webhook_settings = webhook_settings or WebhookSettings()
    gateway = container.build(settings)

    async def sync_consumer(app: FastAPI) -> None:
        if not settings.consumer_enabled:
            return
        metering.working_as("sync")
        metering.meter(app.state.engine)
        consumer = EventConsumer(topics=TOPICS, bootstrap=settings.kafka_bootstrap_servers,
                                 max_in_flight=settings.consumer_max_in_flight,
                                 partitions=settings.kafka_topic_partitions,
                                 **gateway.consumer_options(app.state.sessionmaker, app.state.uow_factory))
        app.state.consumer = consumer
        try:
            await consumer.run()
        finally:
            await gateway.close()

    async def resync_jobs(app: FastAPI) -> None:
        if settings.resync_runner_enabled:
            await gateway.resync_runner(app.state.uow_factory).run()

    app = create_service_app(
        name="sync-gateway", title="Sync gateway API", description=DESCRIPTION, settings=settings,
        platform=platform, routers=[subject_requests_router, links_router, policy_router, conflicts_router, resync_router, health_router,
                                    operations_router, webhooks_router], source=container.SOURCE,
        relay_topics=TOPICS,  # the outbox carries replayed dead letters back to these topics
        workers=(sync_consumer, resync_jobs, *webhook_workers(settings, webhook_settings)),
        openapi_tags=[*TAGS, WEBHOOKS_TAG],
    )
    app.state.gateway = gateway
    app.state.peers = Peers(ats=gateway.ats, crm=gateway.crm)
    app.state.webhook_settings = webhook_settings
    return app
