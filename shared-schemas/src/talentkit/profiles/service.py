"""Profile use cases: create, read, find, change; every change writes its event to the outbox in the same transaction."""
from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.db import PlatformTables
from talentkit.errors import NotFound
from talentkit.outbox import stage_event
from talentkit.profiles.models import ProfileMixin

P = TypeVar("P", bound=ProfileMixin)
# (session, ctx, action, record, changes) -> None: e.g. the ATS's audit trail
ChangeHook = Callable[[AsyncSession, RequestContext, str, Any, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class ProfileEvents:
    """How one service names its profile events: topic, types, payload keys and payload models."""

    source: str
    topic: str
    aggregate: str  # "candidate" / "prospect"
    created_type: str
    updated_type: str
    created_model: type[BaseModel]
    updated_model: type[BaseModel]


class ProfileRepository(Generic[P]):
    """Every query on a profile table."""

    def __init__(self, model: type[P]) -> None:
        self.model = model

    async def get(self, session: AsyncSession, id: uuid.UUID, *, for_update: bool = False) -> P | None:
        stmt = select(self.model).where(self.model.id == id)
        return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()

    def listing(self, *, email: str | None, updated_after: datetime | None) -> Select[Any]:
        stmt = select(self.model)
        if email:
            stmt = stmt.where(self.model.emails.contains([email.strip().lower()]))
        if updated_after:
            stmt = stmt.where(self.model.updated_at > updated_after)
        return stmt


class ProfileService(Generic[P]):
    """Create, get and change a profile, emitting `*.created.v1` / `*.updated.v1` through the outbox."""

    def __init__(self, model: type[P], tables: PlatformTables, events: ProfileEvents,
                 on_change: ChangeHook | None = None) -> None:
        self.model, self.tables, self.events = model, tables, events
        self.repo = ProfileRepository(model)
        self.on_change = on_change

    async def create(self, session: AsyncSession, values: dict[str, Any], ctx: RequestContext) -> P:
        """Store a new profile and stage its created event."""
        at = ctx.source_time or datetime.now(UTC)
        record = self.model()
        record.start(values, at=at, actor=ctx.actor)
        session.add(record)
        await session.flush()
        data = self.events.created_model.model_validate({self.events.aggregate: record.snapshot()})
        await self._stage(session, record, self.events.created_type, data, ctx, at)
        if self.on_change:
            await self.on_change(session, ctx, f"{self.events.aggregate}.created", record,
                                 {k: {"before": None, "after": v} for k, v in values.items() if v not in (None, [])})
        return record

    async def get(self, session: AsyncSession, id: uuid.UUID, *, for_update: bool = False) -> P:
        """The profile, or 404."""
        record = await self.repo.get(session, id, for_update=for_update)
        if record is None:
            raise NotFound(f"No {self.events.aggregate} with id {id}.")
        return record

    async def update(self, session: AsyncSession, id: uuid.UUID, values: dict[str, Any], *,
                     if_match: str | None, ctx: RequestContext) -> P:
        """Apply a partial change under If-Match; a change that changes nothing emits nothing."""
        record = await self.get(session, id, for_update=True)
        check_if_match(if_match, record.version)
        at = ctx.source_time or datetime.now(UTC)
        changes = record.change(values, at=at, actor=ctx.actor, field_at=ctx.source_field_times)
        if changes:
            await session.flush()
            data = self.events.updated_model.model_validate({
                f"{self.events.aggregate}_id": record.id, "changes": changes, self.events.aggregate: record.snapshot()})
            await self._stage(session, record, self.events.updated_type, data, ctx, at)
            if self.on_change:
                await self.on_change(session, ctx, f"{self.events.aggregate}.updated", record, changes)
        return record

    async def _stage(self, session: AsyncSession, record: P, event_type: str, data: BaseModel, ctx: RequestContext,
                     at: datetime) -> None:
        await stage_event(session, self.tables, source=self.events.source, topic=self.events.topic,
                          aggregate_type=self.events.aggregate, aggregate_id=str(record.id), event_type=event_type,
                          sequence=record.version, data=data.model_dump(mode="json"), ctx=ctx, time=at)
