"""`GET /v1/event-keys/{subject_id}` and `POST /v1/event-keys/lookup`: HTTP for `talentkit.event_keys.service`."""
from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import Table

from talentkit.auth import DECRYPT_EVENTS, RequestContext, require
from talentkit.db import UoW
from talentkit.event_keys import service
from talentkit.event_keys.schemas import EventKeyLookup, EventKeyLookupResult, EventKeyRead


def _read(subject_id: str, key: bytes) -> EventKeyRead:
    return EventKeyRead(subject_id=subject_id, key=base64.b64encode(key).decode())


def event_keys_router(table: Table) -> APIRouter:
    """The key endpoint of a service that seals personal data in its events."""
    router = APIRouter(prefix="/v1/event-keys", tags=["Event keys"])

    @router.get("/{subject_id}", response_model=EventKeyRead, summary="A person's event key",
                responses={404: {"description": "No key: the person was erased (their events stay unreadable).",
                                 "content": {"application/problem+json": {}}}})
    async def event_key(subject_id: str, ctx: Annotated[RequestContext, Depends(require(DECRYPT_EVENTS))],
                        uow: UoW) -> EventKeyRead:
        """The key that opens the `sealed:v1:<subject_id>:…` values of this service's events (scope
        `events:decrypt`). 404 once the person is erased: their personal data on Kafka is gone for good."""
        return _read(subject_id, await service.key(uow=uow, table=table, subject_id=subject_id))

    @router.post("/lookup", response_model=EventKeyLookupResult, summary="Several people's event keys at once",
                 responses={422: {"description": "No ids, too many, or an id that is empty or too long.",
                                  "content": {"application/problem+json": {}}}})
    async def event_key_lookup(body: EventKeyLookup, ctx: Annotated[RequestContext, Depends(require(DECRYPT_EVENTS))],
                               uow: UoW) -> EventKeyLookupResult:
        """The keys of up to 500 people in one round trip (scope `events:decrypt`), for a consumer opening a
        fetched batch of events: each found key as `GET /v1/event-keys/{subject_id}` gives it, the others under
        `missing`. A read: safe to retry."""
        wanted = list(dict.fromkeys(body.subject_ids))
        found = await service.keys(uow=uow, table=table, subject_ids=wanted)
        return EventKeyLookupResult(keys=[_read(s, k) for s, k in found.items()],
                                    missing=[s for s in wanted if s not in found])

    return router
