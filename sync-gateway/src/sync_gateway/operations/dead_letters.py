"""Keep a copy of every dead-lettered record; replay re-publishes it to its topic, discard closes it."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiokafka import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sync_gateway.operations.models import DeadLetter

log = logging.getLogger("sync_gateway.dead_letters")


def sink(group: str, sessions: async_sessionmaker[AsyncSession]) -> Callable[[ConsumerRecord, BaseException, int], Awaitable[None]]:
    """The consumer's `on_dead_letter` hook: store the record (own transaction) next to the DLQ topic copy."""

    async def store(record: ConsumerRecord, error: BaseException, attempts: int) -> None:
        headers = [[k, (v or b"").decode(errors="replace")] for k, v in (record.headers or ())]
        found = dict(headers)
        async with sessions() as session, session.begin():
            session.add(DeadLetter(consumer=group, topic=record.topic, partition=record.partition, offset=record.offset,
                                   event_id=found.get("ce_id"), event_type=found.get("ce_type"), key=record.key,
                                   headers=headers, value=record.value, error=f"{type(error).__name__}: {error}"[:4000],
                                   attempts=attempts, status="open"))
    return store
