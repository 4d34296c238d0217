"""`GET /v1/event-keys/{subject_id}`: a person's key, for consumers opening the personal values sealed in this
service's events (`talentkit.sealing`)."""
from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import Table

from talentkit.auth import DECRYPT_EVENTS, RequestContext, require
from talentkit.db import UoW
from talentkit.errors import NotFound
from talentkit.sealing import MAX_KEYS_PER_LOOKUP, sealer_for


class EventKeyRead(BaseModel):
    subject_id: str
    key: str = Field(description="The person's AES-256-GCM key, base64. Keep it in memory only.")


class EventKeyLookup(BaseModel):
    subject_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=MAX_KEYS_PER_LOOKUP,
        description=f"The people (candidate or prospect ids, as in the sealed values) whose keys you need; at most "
                    f"{MAX_KEYS_PER_LOOKUP} per request.")


class EventKeyLookupResult(BaseModel):
    keys: list[EventKeyRead] = Field(description="The keys found, in no particular order.")
    missing: list[str] = Field(description="People without a key: erased (their events stay unreadable), or never "
                                           "had personal data in events.")


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
        key = await sealer_for(table).key(uow.session, subject_id)
        if key is None:
            raise NotFound(f"No event key for {subject_id}: erased, or never had personal data in events.")
        return EventKeyRead(subject_id=subject_id, key=base64.b64encode(key).decode())

    @router.post("/lookup", response_model=EventKeyLookupResult, summary="Several people's event keys at once",
                 responses={422: {"description": "No ids, too many, or an id that is empty or too long.",
                                  "content": {"application/problem+json": {}}}})
    async def event_key_lookup(body: EventKeyLookup, ctx: Annotated[RequestContext, Depends(require(DECRYPT_EVENTS))],
                               uow: UoW) -> EventKeyLookupResult:
        """The keys of up to 500 people in one round trip (scope `events:decrypt`), for a consumer opening a
        fetched batch of events: each found key as `GET /v1/event-keys/{subject_id}` gives it, the others under
        `missing`. A read: safe to retry."""
        wanted = list(dict.fromkeys(body.subject_ids))
        found = await sealer_for(table).keys(uow.session, wanted)
        return EventKeyLookupResult(
            keys=[EventKeyRead(subject_id=s, key=base64.b64encode(k).decode()) for s, k in found.items()],
            missing=[s for s in wanted if s not in found])

    return router
