"""The unit of work on real PostgreSQL (the ATS schema): what aggregates record reaches the outbox and the audit
trail in the commit's transaction, in recording order, through in-service handlers; a rollback leaves nothing."""
from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest_asyncio
from ats import models  # noqa: F401 - every table mapped
from ats.audit import service as audit
from ats.audit.models import AuditEvent
from ats.candidates.models import Candidate
from ats.db import platform
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from talentkit.auth import Principal, RequestContext
from talentkit.db import sessionmaker
from talentkit.uow import (
    MessageBus,
    OutboxWriter,
    UnitOfWork,
    UnitOfWorkFactory,
    make_event,
)

CTX = RequestContext(principal=Principal("uow-test", frozenset({"*"})), request_id="req-1")


@pytest_asyncio.fixture(loop_scope="session")
async def engine(ats_database):
    eng = create_async_engine(ats_database)
    yield eng
    await eng.dispose()


def new_candidate(email: str) -> Candidate:
    c = Candidate()
    c.start({"first_name": "Ada", "last_name": "Lovelace", "emails": [email]}, at=datetime.now(UTC), actor="uow-test")
    c.id = uuid.uuid4()
    return c


def created(c: Candidate):  # the event a new candidate records
    c.record_event("ats.candidate.created.v1", data={"candidate": c.snapshot()},
                   changes={"emails": {"before": None, "after": c.emails}})


async def outbox_types(engine, aggregate_ids: set[str]) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(platform.outbox.c.aggregate_id, platform.outbox.c.event_type)
                                   .order_by(platform.outbox.c.seq))).all()
    return [(r.aggregate_id, r.event_type) for r in rows if r.aggregate_id in aggregate_ids]


async def audit_actions(engine, target_ids: set[str]) -> list[tuple[str, str, str]]:
    async with sessionmaker(engine)() as s:
        rows = (await s.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars().all()
    return [(r.target_id, r.action, r.actor) for r in rows if r.target_id in target_ids]


async def test_commit_writes_each_recorded_event_to_the_outbox_and_its_audit_entry_in_recording_order(engine):
    factory = UnitOfWorkFactory(sessionmaker(engine), sinks=(OutboxWriter(platform, "/ats"), audit.trail))
    a, b = new_candidate(f"a-{uuid.uuid4().hex}@example.com"), new_candidate(f"b-{uuid.uuid4().hex}@example.com")
    created(b)  # recorded before it joins a session: handed over when added
    async with factory(CTX) as uow:
        uow.session.add_all([a, b])
        await uow.flush()
        created(a)  # recorded while attached: straight to the unit of work
        await uow.commit()
    ids = {str(a.id), str(b.id)}
    assert await outbox_types(engine, ids) == [(str(b.id), "ats.candidate.created.v1"), (str(a.id), "ats.candidate.created.v1")]
    assert await audit_actions(engine, ids) == [(str(b.id), "candidate.created", "uow-test"),
                                                (str(a.id), "candidate.created", "uow-test")]
    async with sessionmaker(engine)() as s:
        assert (await audit.verify(s)).ok


async def test_leaving_without_commit_writes_nothing(engine):
    factory = UnitOfWorkFactory(sessionmaker(engine), sinks=(OutboxWriter(platform, "/ats"), audit.trail))
    c = new_candidate(f"r-{uuid.uuid4().hex}@example.com")
    async with factory(CTX) as uow:
        uow.session.add(c)
        await uow.flush()
        created(c)
    assert await outbox_types(engine, {str(c.id)}) == []
    assert await audit_actions(engine, {str(c.id)}) == []


async def test_a_handler_reacts_inside_the_same_transaction_and_internal_events_skip_the_outbox(engine):
    bus = MessageBus()
    seen: list[str] = []

    @bus.on("ats.candidate.created.v1")
    async def note_it(uow: UnitOfWork, event) -> None:
        seen.append(event.aggregate_id)
        uow.record(make_event("ats.candidate.noted.internal", aggregate_id=event.aggregate_id, sequence=1,
                              data={"why": "handler"}, internal=True, changes={"noted": {"before": None, "after": True}}))

    factory = UnitOfWorkFactory(sessionmaker(engine), sinks=(OutboxWriter(platform, "/ats"), audit.trail), bus=bus)
    c = new_candidate(f"h-{uuid.uuid4().hex}@example.com")
    async with factory(CTX) as uow:
        uow.session.add(c)
        await uow.flush()
        created(c)
        committed = await uow.commit()
    assert seen == [str(c.id)]
    assert [e.type for e in committed] == ["ats.candidate.created.v1", "ats.candidate.noted.internal"]
    assert await outbox_types(engine, {str(c.id)}) == [(str(c.id), "ats.candidate.created.v1")]
    assert [a for _, a, _ in await audit_actions(engine, {str(c.id)})] == ["candidate.created", "candidate.noted"]


async def test_a_savepoint_that_raises_undoes_its_rows_and_events_and_the_rest_commits(engine):
    factory = UnitOfWorkFactory(sessionmaker(engine), sinks=(OutboxWriter(platform, "/ats"), audit.trail))
    kept, undone = new_candidate(f"k-{uuid.uuid4().hex}@example.com"), new_candidate(f"u-{uuid.uuid4().hex}@example.com")
    async with factory(CTX) as uow:
        async with uow.savepoint():
            uow.session.add(kept)
            await uow.flush()
            created(kept)
        try:
            async with uow.savepoint():
                uow.session.add(undone)
                await uow.flush()
                created(undone)
                raise LookupError("this item fails")
        except LookupError:
            pass
        await uow.commit()
    ids = {str(kept.id), str(undone.id)}
    assert await outbox_types(engine, ids) == [(str(kept.id), "ats.candidate.created.v1")]
    assert await audit_actions(engine, ids) == [(str(kept.id), "candidate.created", "uow-test")]
    async with sessionmaker(engine)() as s:
        assert await s.get(Candidate, undone.id) is None and await s.get(Candidate, kept.id) is not None


async def backend_state(engine, pid: int) -> str:
    """What another session sees of backend `pid`: `idle` (nothing open) or `idle in transaction`."""
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT state FROM pg_stat_activity WHERE pid = :p"), {"p": pid})).scalar_one()


async def candidate_stored(engine, c: Candidate) -> bool:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(Candidate).where(Candidate.id == c.id))).scalar_one() == 1


async def test_reads_hold_no_transaction_open_and_the_first_write_begins_one_that_still_rolls_back_whole(engine):
    factory = UnitOfWorkFactory(sessionmaker(engine), sinks=(OutboxWriter(platform, "/ats"), audit.trail))
    c = new_candidate(f"lazy-{uuid.uuid4().hex}@example.com")
    async with factory(CTX) as uow:
        pid = (await uow.session.execute(select(func.pg_backend_pid()))).scalar_one()
        await uow.session.execute(select(Candidate).limit(1))
        assert await backend_state(engine, pid) == "idle"
        uow.session.add(c)
        await uow.flush()
        created(c)
        assert await backend_state(engine, pid) == "idle in transaction"
        await uow.publish_pending()  # outbox row and audit entry written, never committed
    assert not await candidate_stored(engine, c)
    assert await outbox_types(engine, {str(c.id)}) == []
    assert await audit_actions(engine, {str(c.id)}) == []


async def test_a_locking_read_begins_the_transaction_so_its_lock_lasts_until_commit(engine):
    factory = UnitOfWorkFactory(sessionmaker(engine), sinks=(OutboxWriter(platform, "/ats"),))
    c = new_candidate(f"lock-{uuid.uuid4().hex}@example.com")
    async with factory(CTX) as uow:
        uow.session.add(c)
        await uow.commit()
    async with factory(CTX) as uow:
        pid = (await uow.session.execute(select(func.pg_backend_pid()))).scalar_one()
        await uow.session.execute(select(Candidate).where(Candidate.id == c.id).with_for_update())
        assert await backend_state(engine, pid) == "idle in transaction"
        async with engine.connect() as other:
            locked = (await other.execute(select(Candidate.id).where(Candidate.id == c.id)
                                          .with_for_update(skip_locked=True))).all()
        assert locked == []  # still held by the unit of work


async def test_a_connection_handed_back_after_reads_only_is_transactional_again_for_its_next_user(engine):
    one = create_async_engine(engine.url, pool_size=1, max_overflow=0)  # so the next user gets that very connection
    try:
        async with UnitOfWorkFactory(sessionmaker(one), sinks=())(CTX) as uow:
            await uow.session.execute(select(Candidate).limit(1))
            await uow.commit()
        c = new_candidate(f"pool-{uuid.uuid4().hex}@example.com")
        async with one.connect() as conn:
            await conn.execute(Candidate.__table__.insert().values(
                id=c.id, first_name="A", last_name="B", emails=c.emails, phones=[], tags=[], field_times={}, version=1,
                created_by="t", updated_by="t"))
            await conn.rollback()
        assert not await candidate_stored(engine, c)
    finally:
        await one.dispose()


async def test_the_chain_postgresql_links_verifies_for_concurrent_commits_of_several_entries_with_any_text(engine):
    factory = UnitOfWorkFactory(sessionmaker(engine), sinks=(OutboxWriter(platform, "/ats"), audit.trail))

    async def write(i: int) -> None:
        async with factory(CTX) as uow:
            for name in ("Zoë Ørsted 李雷 \\u00e9 \"quoted\"", f"n° {i} — 1.5 ≥ 0.1+0.2"):
                uow.record(make_event("ats.candidate.noted.internal", aggregate_id=uuid.uuid4(), sequence=1,
                                      internal=True, data={}, changes={"name": {"before": None, "after": name},
                                                                       "score": {"before": 0.1 + 0.2, "after": i}}))
            await uow.commit()

    await asyncio.gather(*(write(i) for i in range(8)))
    async with sessionmaker(engine)() as s:
        result = await audit.verify(s)
    assert result.ok, result
    assert result.checked >= 16
