"""Emitting ATS events: validated against the shared contract, staged in the outbox of the current transaction."""
from typing import Any

from pydantic import BaseModel
from shared_schemas.events import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.outbox import stage_event

from ats.db import platform

SOURCE = "/ats"


async def emit(session: AsyncSession, ctx: RequestContext, event_type: str, *, aggregate_id: Any, sequence: int,
               data: dict[str, Any] | BaseModel) -> None:
    """Stage `event_type` for the aggregate; the topic follows the type (`ats.job.*` -> `ats.jobs`)."""
    if (uow := session.info.get("uow")) is not None:
        await uow.publish_pending()  # what aggregates recorded so far goes first: the outbox keeps the order
    service, aggregate, *_ = event_type.split(".")
    payload = REGISTRY[event_type].model_validate(data.model_dump() if isinstance(data, BaseModel) else data)
    await stage_event(session, platform, source=SOURCE, topic=f"{service}.{aggregate}s", aggregate_type=aggregate,
                      aggregate_id=str(aggregate_id), event_type=event_type, sequence=sequence,
                      data=payload.model_dump(mode="json"), ctx=ctx)
