"""Every webhook query: endpoints, the delivery log, the dispatcher's claim, and the wake-up notification."""
from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from talentkit.errors import NotFound

from sync_gateway.webhooks.models import WebhookDelivery, WebhookEndpoint

CHANNEL = "webhook_deliveries_due"  # NOTIFY'd when a delivery becomes due now; the dispatchers LISTEN
QUEUE_CHUNK = 1000  # rows per INSERT: PostgreSQL takes at most 32767 bind parameters in one statement


async def endpoint(session: AsyncSession, endpoint_id: uuid.UUID, *, for_update: bool = False) -> WebhookEndpoint:
    """The endpoint, or 404."""
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    found = (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No webhook endpoint with id {endpoint_id}.")
    return found


def endpoints(enabled: bool | None) -> Select[Any]:
    """Endpoints, optionally only enabled or disabled ones (for pagination)."""
    stmt = select(WebhookEndpoint)
    return stmt if enabled is None else stmt.where(WebhookEndpoint.enabled.is_(enabled))


async def enabled_endpoints(session: AsyncSession) -> Sequence[Any]:
    """(id, event_types, created_at) of every enabled endpoint: what the fan-out matches events against."""
    return (await session.execute(select(WebhookEndpoint.id, WebhookEndpoint.event_types, WebhookEndpoint.created_at)
                                  .where(WebhookEndpoint.enabled.is_(True)))).all()


async def count_disabled(session: AsyncSession) -> int:
    """How many endpoints are disabled now (for the gauge)."""
    return int((await session.execute(select(func.count()).select_from(WebhookEndpoint)
                                      .where(WebhookEndpoint.enabled.is_(False)))).scalar_one())


async def delivery(session: AsyncSession, endpoint_id: uuid.UUID, delivery_id: uuid.UUID,
                   *, for_update: bool = False) -> WebhookDelivery:
    """The delivery of that endpoint with its attempts, or 404."""
    stmt = (select(WebhookDelivery).where(WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id)
            .options(selectinload(WebhookDelivery.attempts)).execution_options(populate_existing=True))
    found = (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No delivery {delivery_id} for webhook endpoint {endpoint_id}.")
    return found


def deliveries(endpoint_id: uuid.UUID, status: str | None, event_id: str | None) -> Select[Any]:
    """An endpoint's deliveries with their attempts, optionally by status or event (for pagination)."""
    stmt = (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
            .options(selectinload(WebhookDelivery.attempts)))
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    if event_id:
        stmt = stmt.where(WebhookDelivery.event_id == event_id)
    return stmt


async def deliveries_about(session: AsyncSession, person_ids: list[str]) -> Sequence[WebhookDelivery]:
    """Every delivery whose event carried any of these people (what an erasure must reach)."""
    return (await session.execute(select(WebhookDelivery).where(WebhookDelivery.person_ids.overlap(person_ids)))).scalars().all()


async def queue(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert pending deliveries, skipping those already there (the fan-out may see an event twice); wakes the
    dispatchers when any was new. Returns how many were new."""
    new = 0
    for start in range(0, len(rows), QUEUE_CHUNK):
        new += len((await session.execute(insert(WebhookDelivery).values(rows[start:start + QUEUE_CHUNK])
                                          .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
                                          .returning(WebhookDelivery.id))).all())
    if new:
        await wake_dispatchers(session)
    return new


async def wake_dispatchers(session: AsyncSession) -> None:
    """NOTIFY the dispatchers (delivered when the transaction commits, not before)."""
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


async def lock_due(session: AsyncSession, *, now: datetime, limit: int,
                   skip_endpoints: Collection[uuid.UUID] = ()) -> list[tuple[WebhookDelivery, WebhookEndpoint]]:
    """Lock up to `limit` due deliveries of enabled endpoints that no one else holds (SKIP LOCKED), oldest due first.
    Reads only due rows, through the partial index on `next_attempt_at`; lease the ones you take (`lease`)."""
    stmt = (select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
                   WebhookEndpoint.enabled.is_(True))
            .order_by(WebhookDelivery.next_attempt_at).limit(limit)
            .with_for_update(of=WebhookDelivery, skip_locked=True))
    if skip_endpoints:
        stmt = stmt.where(WebhookDelivery.endpoint_id.not_in(list(skip_endpoints)))
    return [(d, e) for d, e in (await session.execute(stmt)).all()]


def lease(deliveries: Collection[WebhookDelivery], until: datetime) -> None:
    """Keep the deliveries for their dispatcher until `until` (no one else claims them; a crash mid-send retries
    them after it): their `next_attempt_at` moves there."""
    for d in deliveries:
        d.next_attempt_at = until


async def lock_for_outcome(session: AsyncSession, endpoint_id: uuid.UUID,
                           delivery_id: uuid.UUID) -> tuple[WebhookEndpoint, WebhookDelivery] | None:
    """Lock the endpoint, then its delivery (the order parking uses), to record an attempt; None unless still pending."""
    endpoint = await session.get(WebhookEndpoint, endpoint_id, with_for_update=True, populate_existing=True)
    found = await session.get(WebhookDelivery, delivery_id, with_for_update=True, populate_existing=True)
    if endpoint is None or found is None or found.status != "pending":
        return None
    return endpoint, found


async def next_due_at(session: AsyncSession) -> datetime | None:
    """When the next pending delivery is due (an index lookup); None when nothing is waiting on a time."""
    return (await session.execute(select(func.min(WebhookDelivery.next_attempt_at))
                                  .where(WebhookDelivery.status == "pending"))).scalar_one()


async def park_pending(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    """A disabled endpoint's pending deliveries wait (no due time), so the dispatcher never looks at them."""
    await session.execute(update(WebhookDelivery)
                          .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending",
                                 WebhookDelivery.next_attempt_at.is_not(None))
                          .values(next_attempt_at=None).execution_options(synchronize_session=False))


async def resume_pending(session: AsyncSession, endpoint_id: uuid.UUID, now: datetime) -> None:
    """An enabled-again endpoint's waiting deliveries are due now."""
    await session.execute(update(WebhookDelivery)
                          .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending",
                                 WebhookDelivery.next_attempt_at.is_(None))
                          .values(next_attempt_at=now).execution_options(synchronize_session=False))
    await wake_dispatchers(session)


async def forget_deliveries(session: AsyncSession, person_ids: list[str]) -> None:
    """Erasure: every delivery (and, by cascade, its attempts) whose event carried any of these people."""
    if person_ids:
        await session.execute(delete(WebhookDelivery).where(WebhookDelivery.person_ids.overlap(person_ids)))
