"""The gateway app factory: `uvicorn --factory sync_gateway.main:create_app`."""
import logging

from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared_schemas.envelope import EventEnvelope
from shared_schemas.topics import ATS_APPLICATIONS, ATS_CANDIDATES, ATS_JOBS, CRM_PROSPECTS
from sync_gateway import models  # noqa: F401 - every table mapped before the first query
from sync_gateway.clients.peer import PeerClient, PeerUnavailable
from sync_gateway.config import Settings
from sync_gateway.consumers.flows import BusinessFlows
from sync_gateway.consumers.profile_sync import ECHOES_DROPPED, ProfileSync, field_states
from sync_gateway.db import platform
from sync_gateway.links.models import Link
from sync_gateway.links.routes import router as links_router
from sync_gateway.operations import dead_letters
from sync_gateway.operations.routes import router as operations_router
from sync_gateway.policy.routes import router as policy_router
from sync_gateway.policy.store import effective_policy
from sync_gateway.webhooks.config import WebhookSettings
from sync_gateway.webhooks.routes import TAG as WEBHOOKS_TAG
from sync_gateway.webhooks.routes import router as webhooks_router
from sync_gateway.webhooks.workers import webhook_workers
from talentkit.app import create_service_app
from talentkit.auth import GATEWAY_PRINCIPAL, RequestContext
from talentkit.consumer import EventConsumer, TransientError

log = logging.getLogger("sync_gateway")
DESCRIPTION = """Links the same person across the ATS and the CRM and carries every profile change to the other
side under a per-field ownership policy, in real time, from both systems' Kafka events; carries the business flows
(push to job, applied, hired, silver medalists, job openings); keeps conflicts and dead letters inspectable.

Every request needs `Authorization: Bearer <api key>` (scope `gateway:read`, or `gateway:admin` for changes);
errors are `application/problem+json`."""
TAGS = [{"name": "Links", "description": "The same person in the ATS and the CRM."},
        {"name": "Field policy", "description": "Who owns each profile field."}]
TOPICS = (ATS_CANDIDATES, ATS_APPLICATIONS, ATS_JOBS, CRM_PROSPECTS)


def person_of(event: EventEnvelope) -> str | None:
    """Order an application's events with its candidate's profile events (one queue per person)."""
    if event.type.startswith("ats.application."):
        candidate_id = (event.data.get("application") or {}).get("candidate_id")
        return str(candidate_id) if candidate_id else None
    return None  # the record key: the candidate, prospect or job id


def wanted(event: EventEnvelope) -> bool:
    """Drop the echoes of our own writes before any database access; the flows still see the applications we
    created (flows.py decides what to do with them)."""
    if event.origin == GATEWAY_PRINCIPAL and event.type != "ats.application.created.v1":
        ECHOES_DROPPED.inc()
        return False
    return True


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
    sync = ProfileSync(ats=ats, crm=crm, policy=dict(), policy_source=effective_policy)
    flows = BusinessFlows(ats=ats, crm=crm, profiles=sync, silver_min_stage=settings.silver_medalist_min_stage)

    async def handle(session: AsyncSession, event: EventEnvelope) -> None:
        await sync.handle(session, event)
        await flows.handle(session, event)

    async def resync(session: AsyncSession, link: Link, ctx: RequestContext) -> None:
        """Re-apply the current policy both ways to one link."""
        sync.policy = await effective_policy(session)
        event = EventEnvelope(source="/sync-gateway", type="gateway.resync", subject=str(link.id), sequence=0,
                              data={}, causationid=ctx.request_id)
        records = {}
        for side, client, record_id in (("ats", ats, link.ats_candidate_id), ("crm", crm, link.crm_prospect_id)):
            got = await client.get(record_id)  # type: ignore[arg-type]
            if got is None or got[0].get("erased_at") or got[0].get("status") in ("erased", "merged") or got[0].get("merged_into_id"):
                return  # an erased or merged-away record is never written again
            records[side] = got[0]
        for side in ("ats", "crm"):
            await sync.apply(session, link, side, field_states(records[side], sync.fields, event.time), event)  # type: ignore[arg-type]

    async def sync_consumer(app: FastAPI) -> None:
        if not settings.consumer_enabled:
            return
        consumer = EventConsumer(group=settings.consumer_group, topics=TOPICS,
                                 bootstrap=settings.kafka_bootstrap_servers, sessions=app.state.sessionmaker,
                                 tables=platform, handler=handle, key_of=person_of, wants=wanted,
                                 # a peer that is down holds everything back and parks nothing; IntegrityError is
                                 # two people's events racing to link the same record (the retry sees the link)
                                 is_outage=lambda e: isinstance(e, PeerUnavailable),
                                 is_transient=lambda e: isinstance(e, (TransientError, IntegrityError)),
                                 # each in-flight event holds a pooled connection across its HTTP calls (handler=)
                                 max_in_flight=16, partitions=settings.kafka_topic_partitions,
                                 on_dead_letter=dead_letters.sink(settings.consumer_group, app.state.uow_factory))
        app.state.consumer = consumer
        try:
            await consumer.run()
        finally:
            await ats.close()
            await crm.close()

    app = create_service_app(
        name="sync-gateway", title="Sync gateway API", description=DESCRIPTION, settings=settings,
        platform=platform, routers=[links_router, policy_router, operations_router, webhooks_router], source="/sync-gateway",
        relay_topics=TOPICS,  # the outbox carries replayed dead letters back to these topics
        workers=(sync_consumer, *webhook_workers(settings, webhook_settings)),
        openapi_tags=[*TAGS, WEBHOOKS_TAG],
    )
    app.state.resync = resync
    app.state.webhook_settings = webhook_settings
    return app
