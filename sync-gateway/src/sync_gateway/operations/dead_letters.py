"""Keep a copy of every dead-lettered record: the consumer's `on_dead_letter` hook."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiokafka import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from talentkit.uow import UnitOfWorkFactory

from sync_gateway.operations.models import DeadLetter


def sink(group: str, uows: UnitOfWorkFactory | async_sessionmaker[AsyncSession],
         ) -> Callable[[ConsumerRecord, BaseException, int], Awaitable[None]]:
    """Store the record next to its copy on the DLQ topic, in a unit of work of its own."""
    # transitional: the CLI holds sessions until it shares the app's wiring
    factory = UnitOfWorkFactory(uows, sinks=()) if isinstance(uows, async_sessionmaker) else uows

    async def store(record: ConsumerRecord, error: BaseException, attempts: int) -> None:
        async with factory() as uow:
            uow.session.add(DeadLetter.of(group, record, error, attempts))
            await uow.commit()
    return store
