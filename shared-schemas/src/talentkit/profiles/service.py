"""Profile use cases: create, read, find, change. Every change records its event on the profile; the unit of work
writes it to the outbox (and to the ATS audit trail) in the same transaction."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Row, Select, Text, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import NotFound
from talentkit.pagination import Paging, next_url, paginate, paginate_by_offset, sorted_not_walked
from talentkit.profiles.models import ProfileMixin
from talentkit.uow import UnitOfWork

ProfileT = TypeVar("ProfileT", bound=ProfileMixin)
MAX_LIST = 20  # the most emails, phones or links a profile keeps (as the schemas allow)


@dataclass(frozen=True)
class ProfileEvents:
    """How one service names its profile events: the aggregate (payload key) and the two event types."""

    aggregate: str  # "candidate" / "prospect"
    created_type: str
    updated_type: str


class ProfileRepository(Generic[ProfileT]):
    """Every query on a profile table."""

    def __init__(self, model: type[ProfileT]) -> None:
        self.model = model
        self._row_by_id: Select[Any] | None = None

    async def get(self, session: AsyncSession, id: uuid.UUID, *, for_update: bool = False,
                  skip_locked: bool = False) -> ProfileT | None:
        """The profile; `for_update` locks it FOR NO KEY UPDATE: a change never touches the id, so rows that point at
        the profile (activities, messages, applications: their foreign-key checks take KEY SHARE) are still written
        meanwhile, and a worker holding such a row never waits for the profile's writer. `skip_locked`: None when
        another transaction holds it."""
        stmt = select(self.model).where(self.model.id == id)
        if for_update:
            stmt = stmt.with_for_update(key_share=True, skip_locked=skip_locked)
        return (await session.execute(stmt)).scalar_one_or_none()

    async def lock(self, session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, ProfileT]:
        """Lock these profiles for update in id order (two batches touching the same people never deadlock); the
        profiles locked, by id (a batch's updates then need no read each)."""
        if not ids:
            return {}
        stmt = select(self.model).where(self.model.id.in_(ids)).order_by(self.model.id).with_for_update(key_share=True)
        return {record.id: record for record in (await session.execute(stmt)).scalars()}

    async def row(self, session: AsyncSession, id: uuid.UUID) -> Row[Any] | None:
        """The stored profile as a plain row (every column, no aggregate loaded): what a read answers with."""
        if self._row_by_id is None:  # built once: its cache key is then computed once, not per request
            table = self.model.__table__  # type: ignore[attr-defined]
            self._row_by_id = select(table).where(table.c.id == bindparam("id"))
        return (await session.execute(self._row_by_id, {"id": id})).first()

    async def oldest_with_email(self, session: AsyncSession, emails: list[str]) -> ProfileT | None:
        """The oldest profile holding the first of `emails` that any profile holds (what `?email=` lists first)."""
        for email in dict.fromkeys(e.strip().lower() for e in emails):
            stmt = self.listing(emails=[email], updated_after=None).order_by(sorted_not_walked(self.model.created_at),
                                                                              self.model.id)
            if (found := (await session.execute(stmt.limit(1))).scalar_one_or_none()) is not None:
                return found
        return None

    async def oldest_by_email(self, session: AsyncSession, emails: list[str]) -> dict[str, ProfileT]:
        """For each of `emails` (lower-case) that some profile holds, the oldest profile holding it: one query for
        what `oldest_with_email` asks one email at a time."""
        wanted = list(dict.fromkeys(e.strip().lower() for e in emails))
        if not wanted:
            return {}
        found: dict[str, ProfileT] = {}
        for profile in (await session.execute(self.listing(emails=wanted, updated_after=None))).scalars():
            for email in profile.emails:
                if email in wanted and ((held := found.get(email)) is None
                                        or (profile.created_at, str(profile.id)) < (held.created_at, str(held.id))):
                    found[email] = profile
        return found

    def listing(self, *, emails: list[str] | None, updated_after: datetime | None) -> Select[Any]:
        """Profiles having any of `emails` (lower-case; the GIN index answers both forms) changed after a time."""
        stmt = select(self.model)
        if emails and len(emails) == 1:
            stmt = stmt.where(self.model.emails.contains(emails))
        elif emails:
            # The addresses behind a subquery: PostgreSQL cannot see them when it plans, so it assumes a selective
            # match (1 %) and reads the emails' index. Given the array itself, it counts 0.5 % per address (22 % of
            # the table for 50) and scans the whole table.
            stmt = stmt.where(self.model.emails.overlap(select(literal(emails, ARRAY(Text))).scalar_subquery()))
        if updated_after:
            stmt = stmt.where(self.model.updated_at > updated_after)
        return stmt


class ProfileService(Generic[ProfileT]):
    """Create, get and change a profile; the profile records `*.created.v1` / `*.updated.v1`."""

    def __init__(self, model: type[ProfileT], events: ProfileEvents) -> None:
        self.model, self.events = model, events
        self.repo = ProfileRepository(model)

    async def create(self, *, uow: UnitOfWork, values: dict[str, Any], ctx: RequestContext,
                     flush: bool = True) -> ProfileT:
        """Store a new profile; it records its created event. `flush=False` leaves its INSERT to the session's next
        flush, so that the creates of a batch reach the database together, as one multi-row INSERT."""
        session = uow.session
        at = ctx.source_time or datetime.now(UTC)
        record = self.model()
        record.start(values, at=at, actor=ctx.actor)
        session.add(record)
        if flush:
            await session.flush()
        record.record_event(self.events.created_type, data={self.events.aggregate: record.snapshot()}, time=at, ctx=ctx,
                            changes={k: {"before": None, "after": v} for k, v in values.items() if v not in (None, [])})
        return record

    async def get(self, session: AsyncSession, id: uuid.UUID, *, for_update: bool = False) -> ProfileT:
        """The profile, or 404."""
        record = await self.repo.get(session, id, for_update=for_update)
        if record is None:
            raise self._not_found(id)
        return record

    async def read(self, *, uow: UnitOfWork, id: uuid.UUID) -> Row[Any]:
        """The profile as stored, for a response only (nothing to change, so no aggregate to build), or 404."""
        row = await self.repo.row(uow.session, id)
        if row is None:
            raise self._not_found(id)
        return row

    async def page(self, *, uow: UnitOfWork, paging: Paging, emails: list[str] | None,
                   updated_after: datetime | None, order: Any = None, filters: dict[str, Any],
                   count: bool = False) -> dict[str, Any]:
        """A page of the profiles having any of `emails` changed after `updated_after`: oldest first, or in
        `order` (an `Ordering`, paged by offset), with `total` across all pages when `count`."""
        session = uow.session
        stmt = self.repo.listing(emails=emails, updated_after=updated_after)
        if order is not None:
            rows, cursor = await paginate_by_offset(session, paging.request, paging.response, stmt, order,
                                                    filters=filters, cursor=paging.cursor, limit=paging.limit)
        else:
            rows, cursor = await paginate(session, paging.request, paging.response, stmt, created_col=self.model.created_at,
                                          id_col=self.model.id, filters=filters, cursor=paging.cursor, limit=paging.limit,
                                          sort_matches=bool(emails))
        total = (await session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))).scalar_one() \
            if count else None
        return {"data": rows, "next_cursor": cursor, "next": next_url(paging.request, paging.response), "total": total}

    def _not_found(self, id: uuid.UUID) -> NotFound:
        return NotFound(f"No {self.events.aggregate} with id {id}.")

    async def update(self, *, uow: UnitOfWork, id: uuid.UUID, values: dict[str, Any], if_match: str | None,
                     ctx: RequestContext, locked: ProfileT | None = None, flush: bool = True) -> ProfileT:
        """Apply a partial change under If-Match; a change that changes nothing records nothing. `locked`: the
        profile as already locked in this transaction (`ProfileRepository.lock`), instead of reading it again.
        `flush=False`: the UPDATE waits for the next flush (a batch's updates then go as one statement)."""
        session = uow.session
        record = locked if locked is not None and locked.id == id else await self.get(session, id, for_update=True)
        self.check_writable(record)
        check_if_match(if_match, record.version)
        await self._change(session, record, values, ctx, flush=flush)
        return record

    def check_writable(self, record: ProfileT) -> None:
        """Raise when the record accepts no changes (a service's erased or merged records); every change passes here,
        on the row it has just locked."""

    async def add_contact_points(self, session: AsyncSession, id: uuid.UUID, values: dict[str, list[str]], *,
                                 ctx: RequestContext, same: Callable[[str, str], str] = lambda _field, v: v.lower(),
                                 ) -> dict[str, list[str]]:
        """Union new elements into list fields (emails, phones, links): nothing anyone set is replaced, so no
        If-Match is needed (the row is locked). `same(field, value)` is the comparison key. Returns what was added."""
        record = await self.get(session, id, for_update=True)
        self.check_writable(record)
        added: dict[str, list[str]] = {}
        for name, new in values.items():
            current = list(getattr(record, name) or [])
            known = {same(name, v) for v in current}
            fresh = [v for v in dict.fromkeys(new) if same(name, v) not in known][:max(MAX_LIST - len(current), 0)]
            if fresh:
                added[name] = fresh
        await self._change(session, record, {name: [*getattr(record, name), *fresh] for name, fresh in added.items()}, ctx)
        return added

    async def _change(self, session: AsyncSession, record: ProfileT, values: dict[str, Any], ctx: RequestContext, *,
                      flush: bool = True) -> None:
        at = ctx.source_time or datetime.now(UTC)
        changes = record.change(values, at=at, actor=ctx.actor, field_at=ctx.source_field_times)
        if changes:
            if flush:
                await session.flush()
            record.record_event(self.events.updated_type, time=at, changes=changes, ctx=ctx, data={
                f"{self.events.aggregate}_id": record.id, "changes": changes, self.events.aggregate: record.snapshot()})
