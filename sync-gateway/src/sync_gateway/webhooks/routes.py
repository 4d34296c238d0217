"""`/v1/webhook-endpoints`: subscriptions, secrets, the delivery log, replay and ping."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from talentkit.apidocs import PROBLEM_ANSWER, Responses
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, next_url
from talentkit.responses import resource_response

from sync_gateway.webhooks import service
from sync_gateway.webhooks.config import WebhookSettings
from sync_gateway.webhooks.models import WebhookDelivery
from sync_gateway.webhooks.schemas import (
    DeliveryRead,
    DeliveryStatus,
    EndpointCreate,
    EndpointCreated,
    EndpointRead,
    EndpointSecret,
    EndpointUpdate,
    RotateSecret,
)

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["Webhooks"])
Reader = Annotated[RequestContext, Depends(require("gateway:read"))]
Admin = Annotated[RequestContext, Depends(require("gateway:admin"))]
IfMatch = Annotated[str | None, Header(description="The endpoint's `ETag` from your last read.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` from the previous page.")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
PROBLEM = PROBLEM_ANSWER
BAD_URL: Responses = {422: {"description": "Invalid body, or a `url` the gateway may not or cannot send to (an internal "
                 "address, a malformed host, credentials in the URL); `errors` names `url`.", **PROBLEM}}
NO_ENDPOINT: Responses = {404: {"description": "No such endpoint.", **PROBLEM}}


def _settings(request: Request) -> WebhookSettings:
    return getattr(request.app.state, "webhook_settings", None) or WebhookSettings()


Hooks = Annotated[WebhookSettings, Depends(_settings)]


def _read(endpoint: Any) -> Response:
    return resource_response(EndpointRead, endpoint)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EndpointCreated, summary="Create a webhook endpoint",
             responses=BAD_URL)
async def create_endpoint(body: EndpointCreate, ctx: Admin, uow: UoW, idem: IdempotencyGuard, hooks: Hooks) -> Response:
    """Subscribe a URL to event types of both systems. The response carries the signing `secret` (scope `gateway:admin`)."""
    async def produce() -> Response:
        endpoint = await service.subscribe(uow=uow, url=body.url, event_types=body.event_types,
                                           description=body.description, settings=hooks, ctx=ctx)
        return resource_response(EndpointCreated, endpoint, status_code=201, location=f"/v1/webhook-endpoints/{endpoint.id}")
    return await idem.run(produce)


@router.get("", response_model=Page[EndpointRead], summary="List webhook endpoints")
async def list_endpoints(request: Request, response: Response, ctx: Reader, uow: UoW, cursor: Cursor = None,
                         enabled: Annotated[bool | None, Query(description="Only enabled (true) or disabled (false) ones.")] = None,
                         limit: Limit = DEFAULT_LIMIT) -> dict[str, Any]:
    """Endpoints, oldest first. `enabled=false` lists the ones that stopped receiving (and why: `disabled_reason`)."""
    rows, nxt = await service.list_endpoints(uow=uow, request=request, response=response, enabled=enabled,
                                             cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": nxt, "next": next_url(request, response)}


@router.get("/{endpoint_id}", response_model=EndpointRead, summary="Get a webhook endpoint", responses=NO_ENDPOINT)
async def get_endpoint(endpoint_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """One endpoint, with its `ETag` (send it as `If-Match` to update)."""
    return _read(await service.get_endpoint(uow=uow, endpoint_id=endpoint_id))


@router.patch("/{endpoint_id}", response_model=EndpointRead, summary="Update a webhook endpoint",
              responses={412: {"description": "Stale `If-Match`.", **PROBLEM}, 428: {"description": "`If-Match` missing.", **PROBLEM},
                         **NO_ENDPOINT, **BAD_URL})
async def update_endpoint(endpoint_id: uuid.UUID, body: EndpointUpdate, ctx: Admin, uow: UoW, hooks: Hooks,
                          if_match: IfMatch = None) -> Response:
    """Change the URL, the event types or the description. Needs `If-Match`."""
    return _read(await service.change(uow=uow, endpoint_id=endpoint_id, values=body.model_dump(exclude_unset=True),
                                      if_match=if_match, settings=hooks, ctx=ctx))


@router.post("/{endpoint_id}/disable", response_model=EndpointRead, summary="Disable a webhook endpoint", responses=NO_ENDPOINT)
async def disable_endpoint(endpoint_id: uuid.UUID, ctx: Admin, uow: UoW) -> Response:
    """Stop sending to it. Pending deliveries wait; new events are not queued for it while disabled."""
    return _read(await service.disable(uow=uow, endpoint_id=endpoint_id, ctx=ctx))


@router.post("/{endpoint_id}/enable", response_model=EndpointRead, summary="Enable a webhook endpoint", responses=NO_ENDPOINT)
async def enable_endpoint(endpoint_id: uuid.UUID, ctx: Admin, uow: UoW) -> Response:
    """Resume sending: waiting deliveries go out now; clears `disabled_reason` and the failure streak."""
    return _read(await service.enable(uow=uow, endpoint_id=endpoint_id, ctx=ctx))


@router.get("/{endpoint_id}/secret", response_model=EndpointSecret, summary="Get the signing secret", responses=NO_ENDPOINT)
async def get_secret(endpoint_id: uuid.UUID, ctx: Admin, uow: UoW) -> dict[str, Any]:
    """The current secret, and the previous one while a rotation's overlap lasts (scope `gateway:admin`)."""
    return await service.secrets(uow=uow, endpoint_id=endpoint_id)


@router.post("/{endpoint_id}/rotate-secret", response_model=EndpointSecret, summary="Rotate the signing secret",
             responses=NO_ENDPOINT)
async def rotate_secret(endpoint_id: uuid.UUID, ctx: Admin, uow: UoW, hooks: Hooks,
                        body: RotateSecret | None = None) -> dict[str, Any]:
    """A new secret signs from now on; the old one signs too (two signatures) until the overlap ends (default 24 h)."""
    return await service.rotate_secret(uow=uow, endpoint_id=endpoint_id, settings=hooks, ctx=ctx,
                                       overlap_seconds=body.overlap_seconds if body else None)


@router.get("/{endpoint_id}/deliveries", response_model=Page[DeliveryRead], summary="The delivery log", responses=NO_ENDPOINT)
async def list_deliveries(request: Request, response: Response, endpoint_id: uuid.UUID, ctx: Reader, uow: UoW,
                          status_: Annotated[DeliveryStatus | None, Query(alias="status", description="Only deliveries in this state.")] = None,
                          event_id: Annotated[str | None, Query(max_length=200, description="Deliveries of this event (webhook-id).")] = None,
                          cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> dict[str, Any]:
    """Deliveries to this endpoint, oldest first, each with every attempt (status, response code, latency, excerpt)."""
    rows, nxt = await service.list_deliveries(uow=uow, request=request, response=response, endpoint_id=endpoint_id,
                                              status=status_.value if status_ else None, event_id=event_id,
                                              cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": nxt, "next": next_url(request, response)}


@router.get("/{endpoint_id}/deliveries/{delivery_id}", response_model=DeliveryRead, summary="Get a delivery",
            responses={404: {"description": "No such endpoint or delivery.", **PROBLEM}})
async def get_delivery(endpoint_id: uuid.UUID, delivery_id: uuid.UUID, ctx: Reader, uow: UoW) -> WebhookDelivery:
    """One delivery with its attempts."""
    return await service.get_delivery(uow=uow, endpoint_id=endpoint_id, delivery_id=delivery_id)


@router.post("/{endpoint_id}/deliveries/{delivery_id}/replay", status_code=status.HTTP_202_ACCEPTED,
             response_model=DeliveryRead, summary="Replay a delivery",
             responses={404: {"description": "No such endpoint or delivery.", **PROBLEM},
                        409: {"description": "The endpoint is disabled, or the delivery is still pending.", **PROBLEM}})
async def replay_delivery(endpoint_id: uuid.UUID, delivery_id: uuid.UUID, ctx: Admin, uow: UoW) -> WebhookDelivery:
    """Send a succeeded or failed delivery again, as soon as possible, with the same `webhook-id` and body; a fresh
    retry schedule follows if it fails. The answer is the delivery, queued (`pending`); follow its attempts."""
    return await service.replay(uow=uow, endpoint_id=endpoint_id, delivery_id=delivery_id)


@router.post("/{endpoint_id}/ping", response_model=DeliveryRead, summary="Send a test ping", responses=NO_ENDPOINT)
async def ping(endpoint_id: uuid.UUID, ctx: Admin, uow: UoW, hooks: Hooks) -> WebhookDelivery:
    """POST a signed `webhook.ping` now and answer with the attempt: `succeeded`, or `failed` with the response
    code or the reason nothing could be sent (`error`). No retries; the endpoint's health is untouched."""
    return await service.ping(uow=uow, endpoint_id=endpoint_id, settings=hooks)


TAG = {"name": "Webhooks", "description": "Signed deliveries of both systems' events to integrators (Standard Webhooks 1.0)."}
