"""Webhook use cases: subscribe, change, disable and enable endpoints, rotate secrets, read the delivery log,
replay a delivery, ping. Services flush; the caller's unit of work commits."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request, Response
from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import Conflict, Unprocessable, field_error
from talentkit.pagination import paginate
from talentkit.uow import UnitOfWork

from sync_gateway.webhooks import repository, ssrf
from sync_gateway.webhooks.config import WebhookSettings
from sync_gateway.webhooks.delivery import new_client, render_body, send
from sync_gateway.webhooks.models import WebhookDelivery, WebhookEndpoint

PING_TYPE = "webhook.ping"


def _allowed_url(url: str, settings: WebhookSettings) -> None:
    try:
        ssrf.parse(url, settings.destinations)
    except ssrf.UnsafeDestination as exc:
        raise Unprocessable("The webhook URL is not allowed.", errors=[field_error("url", str(exc), "unsafe_url")]) from None


async def subscribe(*, uow: UnitOfWork, url: str, event_types: list[str], description: str | None,
                    settings: WebhookSettings, ctx: RequestContext) -> WebhookEndpoint:
    """A new endpoint for a URL the gateway may and can send to (422 naming `url` otherwise)."""
    _allowed_url(url, settings)
    endpoint = WebhookEndpoint.subscribe(url=url, event_types=event_types, description=description, actor=ctx.actor)
    uow.session.add(endpoint)
    await uow.flush()
    await uow.session.refresh(endpoint)
    return endpoint


async def list_endpoints(*, uow: UnitOfWork, request: Request, response: Response, enabled: bool | None,
                         cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """One page of endpoints, oldest first, and the next cursor."""
    return await paginate(uow.session, request, response, repository.endpoints(enabled),
                          created_col=WebhookEndpoint.created_at, id_col=WebhookEndpoint.id,
                          filters={"enabled": enabled}, cursor=cursor, limit=limit)


async def get_endpoint(*, uow: UnitOfWork, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """One endpoint (404 when there is none)."""
    return await repository.endpoint(uow.session, endpoint_id)


async def change(*, uow: UnitOfWork, endpoint_id: uuid.UUID, values: dict[str, Any], if_match: str | None,
                 settings: WebhookSettings, ctx: RequestContext) -> WebhookEndpoint:
    """Change url, event types or description (`values`: only what the caller sent); needs the current ETag."""
    endpoint = await repository.endpoint(uow.session, endpoint_id, for_update=True)
    check_if_match(if_match, endpoint.version)
    for name in ("url", "event_types"):
        if name in values and values[name] is None:
            raise Unprocessable("Field may not be null.", errors=[field_error(name, "may not be null")])
    if "url" in values:
        _allowed_url(values["url"], settings)
    before = endpoint.version
    endpoint.change(values, ctx.actor)
    if endpoint.version != before:
        await uow.flush()
        await uow.session.refresh(endpoint)
    return endpoint


async def disable(*, uow: UnitOfWork, endpoint_id: uuid.UUID, ctx: RequestContext) -> WebhookEndpoint:
    """Stop sending; its pending deliveries wait, and new events are not queued for it."""
    endpoint = await repository.endpoint(uow.session, endpoint_id, for_update=True)
    if endpoint.disable(f"Disabled by {ctx.actor}.", datetime.now(UTC), actor=ctx.actor):
        await repository.park_pending(uow.session, endpoint.id)
        await uow.flush()
        await uow.session.refresh(endpoint)
    return endpoint


async def enable(*, uow: UnitOfWork, endpoint_id: uuid.UUID, ctx: RequestContext) -> WebhookEndpoint:
    """Send again: the waiting deliveries are due now, new events are queued again."""
    endpoint = await repository.endpoint(uow.session, endpoint_id, for_update=True)
    if endpoint.enable(ctx.actor):
        await repository.resume_pending(uow.session, endpoint.id, datetime.now(UTC))
        await uow.flush()
        await uow.session.refresh(endpoint)
    return endpoint


async def secrets(*, uow: UnitOfWork, endpoint_id: uuid.UUID) -> dict[str, Any]:
    """The current secret, and the previous one while a rotation's overlap lasts."""
    endpoint = await repository.endpoint(uow.session, endpoint_id)
    overlapping = len(endpoint.signing_secrets(datetime.now(UTC))) > 1
    return {"secret": endpoint.secret, "previous_secret": endpoint.previous_secret if overlapping else None,
            "previous_secret_expires_at": endpoint.previous_secret_expires_at if overlapping else None}


async def rotate_secret(*, uow: UnitOfWork, endpoint_id: uuid.UUID, overlap_seconds: float | None,
                        settings: WebhookSettings, ctx: RequestContext) -> dict[str, Any]:
    """A new secret; the old one keeps signing for the overlap (default `rotation_overlap_seconds`)."""
    endpoint = await repository.endpoint(uow.session, endpoint_id, for_update=True)
    overlap = overlap_seconds if overlap_seconds is not None else settings.rotation_overlap_seconds
    endpoint.rotate_secret(timedelta(seconds=overlap), datetime.now(UTC), ctx.actor)
    return {"secret": endpoint.secret, "previous_secret": endpoint.previous_secret,
            "previous_secret_expires_at": endpoint.previous_secret_expires_at}


async def list_deliveries(*, uow: UnitOfWork, request: Request, response: Response, endpoint_id: uuid.UUID,
                          status: str | None, event_id: str | None, cursor: str | None,
                          limit: int) -> tuple[list[Any], str | None]:
    """One page of an endpoint's deliveries with their attempts, oldest first (404 for an unknown endpoint)."""
    await repository.endpoint(uow.session, endpoint_id)
    return await paginate(uow.session, request, response, repository.deliveries(endpoint_id, status, event_id),
                          created_col=WebhookDelivery.created_at, id_col=WebhookDelivery.id,
                          filters={"status": status, "event_id": event_id}, cursor=cursor, limit=limit)


async def get_delivery(*, uow: UnitOfWork, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> WebhookDelivery:
    """One delivery with its attempts."""
    return await repository.delivery(uow.session, endpoint_id, delivery_id)


async def replay(*, uow: UnitOfWork, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> WebhookDelivery:
    """Queue a finished delivery again, due now (same `webhook-id` and body, fresh retry schedule); the dispatcher
    sends it. 409 while the endpoint is disabled or the delivery is still pending."""
    endpoint = await repository.endpoint(uow.session, endpoint_id)
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it first.")
    delivery = await repository.delivery(uow.session, endpoint_id, delivery_id, for_update=True)
    if delivery.status == "pending":
        raise Conflict("The delivery is still pending; it is sent at `next_attempt_at`.")
    delivery.replay(datetime.now(UTC))
    await repository.wake_dispatchers(uow.session)
    await uow.flush()
    return delivery


async def ping(*, uow: UnitOfWork, endpoint_id: uuid.UUID, settings: WebhookSettings) -> WebhookDelivery:
    """POST a signed `webhook.ping` now and keep the attempt (no retries; the endpoint's health is untouched).
    A URL that cannot be sent to is a failed attempt with the reason, like any other failure."""
    endpoint = await repository.endpoint(uow.session, endpoint_id)
    now = datetime.now(UTC)
    event_id = str(uuid.uuid4())
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=event_id, event_type=PING_TYPE,
                               body=render_body(PING_TYPE, now, {"endpoint_id": str(endpoint.id)}), person_ids=[],
                               status="pending", attempt_count=0, retry_step=0, next_attempt_at=None)
    uow.session.add(delivery)
    await uow.flush()
    async with new_client(settings) as client:
        outcome = await send(client, settings, url=endpoint.url, secrets=endpoint.signing_secrets(now),
                             msg_id=event_id, body=delivery.body)
    uow.session.add(delivery.record_attempt(endpoint, outcome, settings, datetime.now(UTC), retry=False))
    await uow.flush()
    return await repository.delivery(uow.session, endpoint_id, delivery.id)
