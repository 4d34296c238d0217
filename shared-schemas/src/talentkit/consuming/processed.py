"""The processed-events table: one row per (consumer, event id) makes every apply happen at most once."""
from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import ARRAY, Table, Text, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import ReturningInsert

from talentkit.db import ONE_STATEMENT


async def seen(sessions: async_sessionmaker[AsyncSession], table: Table, consumer: str, event_id: str) -> bool:
    """True when the event was already processed (a cheap read, outside any transaction of the handler's)."""
    async with sessions() as session:
        return (await session.execute(select(table.c.event_id).where(
            table.c.consumer == consumer, table.c.event_id == event_id))).first() is not None


async def seen_among(sessions: async_sessionmaker[AsyncSession], table: Table, consumer: str,
                     event_ids: list[str]) -> set[str]:
    """Which of these events were processed already (one query for a whole fetch)."""
    async with sessions() as session:
        rows = await session.execute(select(table.c.event_id).where(
            table.c.consumer == consumer, table.c.event_id.in_(event_ids)))
        return {row[0] for row in rows}


async def claim(session: AsyncSession, table: Table, consumer: str, event_id: str) -> bool:
    """Insert the event's row in the caller's transaction; False when it exists (someone applied it first)."""
    inserted = await session.execute(insert(table).values(consumer=consumer, event_id=event_id)
                                     .on_conflict_do_nothing().returning(table.c.event_id))
    return inserted.first() is not None


async def record(sessions: async_sessionmaker[AsyncSession], table: Table, consumer: str, event_ids: list[str]) -> None:
    """Mark many events processed in one statement, no transaction around it (events whose handling changed
    nothing)."""
    async with sessions() as session:
        await session.execute(claim_many(table, consumer).execution_options(**ONE_STATEMENT), {"ids": event_ids})
        await session.commit()  # nothing left to commit when it went out autocommitted


@functools.cache
def claim_many(table: Table, consumer: str) -> ReturningInsert[Any]:
    """INSERT the rows of many event ids (an array, unnested) unless present, returning the ids inserted: one
    statement for any number, compiled once (a multi-row VALUES is compiled again for every call)."""
    return (insert(table).from_select(
        ["consumer", "event_id"], select(literal(consumer, Text), func.unnest(bindparam("ids", type_=ARRAY(Text)))))
        .on_conflict_do_nothing().returning(table.c.event_id))
