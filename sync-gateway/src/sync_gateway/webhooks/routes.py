"""`/v1/webhook-endpoints`: subscriptions, secrets, the delivery log, replay and ping."""
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from talentkit.auth import RequestContext, require
from talentkit.concurrency import check_if_match
from talentkit.db import Session
from talentkit.errors import Conflict, NotFound, Unprocessable, field_error
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, next_url, paginate
from talentkit.responses import resource_response

from sync_gateway.webhooks import signing
from sync_gateway.webhooks.config import WebhookSettings
from sync_gateway.webhooks.delivery import (
    apply_outcome,
    disable,
    new_client,
    render_body,
    send,
)
from sync_gateway.webhooks.models import WebhookDelivery, WebhookEndpoint
from sync_gateway.webhooks.schemas import (
    DeliveryRead,
    EndpointCreate,
    EndpointCreated,
    EndpointRead,
    EndpointSecret,
    EndpointUpdate,
    RotateSecret,
)
from sync_gateway.webhooks.ssrf import UnsafeDestination, check_url

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["Webhooks"])
Reader = Annotated[RequestContext, Depends(require("gateway:read"))]
Admin = Annotated[RequestContext, Depends(require("gateway:admin"))]
IfMatch = Annotated[str | None, Header(description="The endpoint's `ETag` from your last read.")]
P = {"content": {"application/problem+json": {}}}
PING_TYPE = "webhook.ping"


def _settings(request: Request) -> WebhookSettings:
    return getattr(request.app.state, "webhook_settings", None) or WebhookSettings()


def _check_url(url: str, settings: WebhookSettings) -> None:
    try:
        check_url(url, allow_loopback=settings.allow_loopback)
    except UnsafeDestination as exc:
        raise Unprocessable("The webhook URL is not allowed.", errors=[field_error("url", str(exc), "unsafe_url")]) from None


async def _endpoint(session: AsyncSession, endpoint_id: uuid.UUID, *, for_update: bool = False) -> WebhookEndpoint:
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    endpoint = (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()
    if endpoint is None:
        raise NotFound(f"No webhook endpoint with id {endpoint_id}.")
    return endpoint


async def _delivery(session: AsyncSession, endpoint_id: uuid.UUID, delivery_id: uuid.UUID,
                    *, for_update: bool = False) -> WebhookDelivery:
    stmt = (select(WebhookDelivery).where(WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id)
            .options(selectinload(WebhookDelivery.attempts)).execution_options(populate_existing=True))
    delivery = (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()
    if delivery is None:
        raise NotFound(f"No delivery {delivery_id} for webhook endpoint {endpoint_id}.")
    return delivery


def _read(endpoint: WebhookEndpoint, status_code: int = 200) -> JSONResponse:
    return resource_response(EndpointRead, endpoint, status_code=status_code)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EndpointCreated, summary="Create a webhook endpoint",
             responses={422: {"description": "Invalid body, or `url` points to an internal address.", **P}})
async def create_endpoint(request: Request, body: EndpointCreate, ctx: Admin, session: Session,
                          idem: IdempotencyGuard) -> Response:
    """Subscribe a URL to event types of both systems. The response carries the signing `secret` (scope `gateway:admin`)."""
    async def produce() -> JSONResponse:
        _check_url(body.url, _settings(request))
        endpoint = WebhookEndpoint(url=body.url, event_types=body.event_types, description=body.description,
                                   enabled=True, secret=signing.new_secret(), version=1,
                                   created_by=ctx.actor, updated_by=ctx.actor)
        session.add(endpoint)
        await session.flush()
        await session.refresh(endpoint)
        return resource_response(EndpointCreated, endpoint, status_code=201,
                                 location=f"/v1/webhook-endpoints/{endpoint.id}")
    return await idem.run(produce)


@router.get("", response_model=Page[EndpointRead], summary="List webhook endpoints")
async def list_endpoints(request: Request, response: Response, ctx: Reader, session: Session,
                         enabled: Annotated[bool | None, Query(description="Only enabled (true) or disabled (false) ones.")] = None,
                         cursor: Annotated[str | None, Query(description="`next_cursor` from the previous page.")] = None,
                         limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Endpoints, oldest first."""
    stmt = select(WebhookEndpoint)
    if enabled is not None:
        stmt = stmt.where(WebhookEndpoint.enabled.is_(enabled))
    rows, nxt = await paginate(session, request, response, stmt, created_col=WebhookEndpoint.created_at,
                               id_col=WebhookEndpoint.id, filters={"enabled": enabled}, cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": nxt, "next": next_url(request, response)}


@router.get("/{endpoint_id}", response_model=EndpointRead, summary="Get a webhook endpoint")
async def get_endpoint(endpoint_id: uuid.UUID, ctx: Reader, session: Session) -> Response:
    """One endpoint, with its `ETag` (send it as `If-Match` to update)."""
    return _read(await _endpoint(session, endpoint_id))


@router.patch("/{endpoint_id}", response_model=EndpointRead, summary="Update a webhook endpoint",
              responses={412: {"description": "Stale `If-Match`.", **P}, 428: {"description": "`If-Match` missing.", **P},
                         422: {"description": "Invalid body, or `url` points to an internal address.", **P}})
async def update_endpoint(request: Request, endpoint_id: uuid.UUID, body: EndpointUpdate, ctx: Admin, session: Session,
                          if_match: IfMatch = None) -> Response:
    """Change the URL, the event types or the description. Needs `If-Match`."""
    endpoint = await _endpoint(session, endpoint_id, for_update=True)
    check_if_match(if_match, endpoint.version)
    values = body.model_dump(exclude_unset=True)
    for name in ("url", "event_types"):
        if name in values and values[name] is None:
            raise Unprocessable("Field may not be null.", errors=[field_error(name, "may not be null")])
    if "url" in values:
        _check_url(values["url"], _settings(request))
    changed = {k: v for k, v in values.items() if getattr(endpoint, k) != v}
    if changed:
        for k, v in changed.items():
            setattr(endpoint, k, v)
        endpoint.version += 1
        endpoint.updated_by = ctx.actor
        await session.flush()
        await session.refresh(endpoint)
    return _read(endpoint)


@router.post("/{endpoint_id}/disable", response_model=EndpointRead, summary="Disable a webhook endpoint")
async def disable_endpoint(endpoint_id: uuid.UUID, ctx: Admin, session: Session) -> Response:
    """Stop sending to it. Pending deliveries wait; new events are not queued for it while disabled."""
    endpoint = await _endpoint(session, endpoint_id, for_update=True)
    if endpoint.enabled:
        disable(endpoint, f"Disabled by {ctx.actor}.", datetime.now(UTC), actor=ctx.actor)
        await session.flush()
        await session.refresh(endpoint)
    return _read(endpoint)


@router.post("/{endpoint_id}/enable", response_model=EndpointRead, summary="Enable a webhook endpoint")
async def enable_endpoint(endpoint_id: uuid.UUID, ctx: Admin, session: Session) -> Response:
    """Resume sending; clears `disabled_reason` and the failure streak."""
    endpoint = await _endpoint(session, endpoint_id, for_update=True)
    if not endpoint.enabled:
        endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since = True, None, None, None
        endpoint.version += 1
        endpoint.updated_by = ctx.actor
        await session.flush()
        await session.refresh(endpoint)
    return _read(endpoint)


@router.get("/{endpoint_id}/secret", response_model=EndpointSecret, summary="Get the signing secret")
async def get_secret(endpoint_id: uuid.UUID, ctx: Admin, session: Session) -> dict[str, Any]:
    """The current secret, and the previous one while a rotation's overlap lasts (scope `gateway:admin`)."""
    endpoint = await _endpoint(session, endpoint_id)
    overlapping = len(endpoint.signing_secrets(datetime.now(UTC))) > 1
    return {"secret": endpoint.secret, "previous_secret": endpoint.previous_secret if overlapping else None,
            "previous_secret_expires_at": endpoint.previous_secret_expires_at if overlapping else None}


@router.post("/{endpoint_id}/rotate-secret", response_model=EndpointSecret, summary="Rotate the signing secret")
async def rotate_secret(request: Request, endpoint_id: uuid.UUID, ctx: Admin, session: Session,
                        body: RotateSecret | None = None) -> dict[str, Any]:
    """A new secret signs from now on; the old one signs too (two signatures) until the overlap ends (default 24 h)."""
    endpoint = await _endpoint(session, endpoint_id, for_update=True)
    overlap = body.overlap_seconds if body and body.overlap_seconds is not None else _settings(request).rotation_overlap_seconds
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = datetime.now(UTC) + timedelta(seconds=overlap)
    endpoint.secret = signing.new_secret()
    endpoint.version += 1
    endpoint.updated_by = ctx.actor
    return {"secret": endpoint.secret, "previous_secret": endpoint.previous_secret,
            "previous_secret_expires_at": endpoint.previous_secret_expires_at}


@router.get("/{endpoint_id}/deliveries", response_model=Page[DeliveryRead], summary="The delivery log")
async def list_deliveries(request: Request, response: Response, endpoint_id: uuid.UUID, ctx: Reader, session: Session,
                          status_: Annotated[str | None, Query(alias="status", description="`pending`, `succeeded` or `failed`.")] = None,
                          event_id: Annotated[str | None, Query(description="Deliveries of this event (webhook-id).")] = None,
                          cursor: Annotated[str | None, Query(description="`next_cursor` from the previous page.")] = None,
                          limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Deliveries to this endpoint, oldest first, each with every attempt (status, response code, latency, excerpt)."""
    await _endpoint(session, endpoint_id)
    stmt = (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
            .options(selectinload(WebhookDelivery.attempts)))
    if status_:
        stmt = stmt.where(WebhookDelivery.status == status_)
    if event_id:
        stmt = stmt.where(WebhookDelivery.event_id == event_id)
    rows, nxt = await paginate(session, request, response, stmt, created_col=WebhookDelivery.created_at,
                               id_col=WebhookDelivery.id, filters={"status": status_, "event_id": event_id},
                               cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": nxt, "next": next_url(request, response)}


@router.get("/{endpoint_id}/deliveries/{delivery_id}", response_model=DeliveryRead, summary="Get a delivery")
async def get_delivery(endpoint_id: uuid.UUID, delivery_id: uuid.UUID, ctx: Reader, session: Session) -> WebhookDelivery:
    """One delivery with its attempts."""
    return await _delivery(session, endpoint_id, delivery_id)


@router.post("/{endpoint_id}/deliveries/{delivery_id}/replay", status_code=status.HTTP_202_ACCEPTED,
             response_model=DeliveryRead, summary="Replay a delivery",
             responses={409: {"description": "The endpoint is disabled, or the delivery is still being retried.", **P}})
async def replay_delivery(endpoint_id: uuid.UUID, delivery_id: uuid.UUID, ctx: Admin, session: Session) -> WebhookDelivery:
    """Send the delivery again, now, with the same `webhook-id` and body; a fresh retry schedule follows if it fails."""
    endpoint = await _endpoint(session, endpoint_id)
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it first.")
    delivery = await _delivery(session, endpoint_id, delivery_id, for_update=True)
    delivery.status, delivery.retry_step, delivery.next_attempt_at = "pending", 0, datetime.now(UTC)
    await session.flush()
    return delivery


@router.post("/{endpoint_id}/ping", response_model=DeliveryRead, summary="Send a test ping")
async def ping(request: Request, endpoint_id: uuid.UUID, ctx: Admin, session: Session) -> WebhookDelivery:
    """POST a signed `webhook.ping` now and answer with the attempt (no retries; the endpoint's health is untouched)."""
    settings = _settings(request)
    endpoint = await _endpoint(session, endpoint_id)
    now = datetime.now(UTC)
    event_id = str(uuid.uuid4())
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=event_id, event_type=PING_TYPE,
                               body=render_body(PING_TYPE, now, {"endpoint_id": str(endpoint.id)}),
                               status="pending", attempt_count=0, retry_step=0, next_attempt_at=None)
    session.add(delivery)
    await session.flush()
    async with new_client(settings) as client:
        outcome = await send(client, settings, url=endpoint.url, secrets=endpoint.signing_secrets(now),
                             msg_id=event_id, body=delivery.body)
    session.add(apply_outcome(delivery, endpoint, outcome, settings, datetime.now(UTC), retry=False))
    await session.flush()
    return await _delivery(session, endpoint_id, delivery.id)


TAG = {"name": "Webhooks", "description": "Signed deliveries of both systems' events to integrators (Standard Webhooks 1.0)."}
