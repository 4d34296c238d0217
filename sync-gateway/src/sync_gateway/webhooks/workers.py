"""The two webhook workers: fan-out (Kafka → one delivery row per matching endpoint) and the dispatcher."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from shared_schemas.envelope import EventEnvelope
from shared_schemas.topics import ALL_TOPICS
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from talentkit.consumer import EventConsumer

from sync_gateway.webhooks import filters
from sync_gateway.webhooks.config import WebhookSettings
from sync_gateway.webhooks.delivery import apply_outcome, new_client, render_body, send
from sync_gateway.webhooks.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger("sync_gateway.webhooks")


async def fan_out(session: AsyncSession, event: EventEnvelope) -> None:
    """One pending delivery per enabled endpoint whose filter matches; idempotent on (endpoint, event).
    An endpoint receives the events that happen after it was created, never the history before it."""
    rows = (await session.execute(select(WebhookEndpoint.id, WebhookEndpoint.event_types)
                                  .where(WebhookEndpoint.enabled.is_(True), WebhookEndpoint.created_at <= event.time))).all()
    targets = [row.id for row in rows if filters.matches(row.event_types, event.type)]
    if not targets:
        return
    body = render_body(event.type, event.time, event.data)
    now = datetime.now(UTC)
    await session.execute(insert(WebhookDelivery).values([
        {"endpoint_id": t, "event_id": event.id, "event_type": event.type, "body": body, "status": "pending",
         "attempt_count": 0, "retry_step": 0, "next_attempt_at": now} for t in targets
    ]).on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"]))


class Dispatcher:
    """Claims due deliveries (FOR UPDATE SKIP LOCKED, then a lease so no transaction spans an HTTP call),
    sends them concurrently, records each attempt and schedules the next."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: WebhookSettings) -> None:
        self.sessions, self.settings = sessions, settings

    async def run(self) -> None:
        async with new_client(self.settings) as client:
            while True:
                try:
                    if await self.tick(client) == 0:
                        await asyncio.sleep(self.settings.poll_seconds)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("webhook dispatcher tick failed")
                    await asyncio.sleep(1)

    async def tick(self, client: Any) -> int:
        now = datetime.now(UTC)
        lease = now + timedelta(seconds=self.settings.timeout_seconds + 30)
        async with self.sessions() as session, session.begin():
            rows = (await session.execute(
                select(WebhookDelivery, WebhookEndpoint)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
                       WebhookEndpoint.enabled.is_(True))
                .order_by(WebhookDelivery.next_attempt_at).limit(self.settings.batch_size)
                .with_for_update(of=WebhookDelivery, skip_locked=True))).all()
            jobs = []
            for delivery, endpoint in rows:
                delivery.next_attempt_at = lease  # a crash mid-send retries after the lease, same webhook-id
                jobs.append((delivery.id, endpoint.url, endpoint.signing_secrets(now), delivery.event_id, delivery.body))
        await asyncio.gather(*(self._deliver(client, *job) for job in jobs))
        return len(jobs)

    async def _deliver(self, client: Any, delivery_id: Any, url: str, secrets: list[str], msg_id: str, body: str) -> None:
        outcome = await send(client, self.settings, url=url, secrets=secrets, msg_id=msg_id, body=body)
        async with self.sessions() as session, session.begin():
            delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
            if delivery is None or delivery.status != "pending":
                return
            endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id, with_for_update=True)
            assert endpoint is not None
            session.add(apply_outcome(delivery, endpoint, outcome, self.settings, datetime.now(UTC)))
        if not outcome.ok:
            log.info("webhook attempt failed", extra={"delivery_id": str(delivery_id), "status": outcome.response_status,
                                                       "error": outcome.error})


Worker = Callable[[FastAPI], Coroutine[Any, Any, None]]


def webhook_workers(bootstrap: str, settings: WebhookSettings) -> tuple[Worker, ...]:
    """The fan-out consumer (its own group, every topic of both systems) and the dispatcher."""
    if not settings.enabled:
        return ()

    async def webhook_fanout(app: FastAPI) -> None:
        consumer = EventConsumer(group=settings.consumer_group, topics=ALL_TOPICS, bootstrap=bootstrap,
                                 sessions=app.state.sessionmaker, tables=app.state.platform, handler=fan_out)
        app.state.webhook_consumer = consumer
        await consumer.run()

    async def webhook_dispatcher(app: FastAPI) -> None:
        dispatcher = Dispatcher(app.state.sessionmaker, settings)
        app.state.webhook_dispatcher = dispatcher
        await dispatcher.run()

    return (webhook_fanout, webhook_dispatcher)
