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
from talentkit.sealing import sealer_for


class EventKeyRead(BaseModel):
    subject_id: str
    key: str = Field(description="The person's AES-256-GCM key, base64. Keep it in memory only.")


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

    return router
