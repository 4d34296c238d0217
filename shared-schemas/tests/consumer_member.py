"""One consumer-group member in its own process, so a test can SIGKILL it mid-flight like a crashed replica.

    python consumer_member.py '{"url": ..., "bootstrap": ..., "topic": ..., "group": ..., "member": ..., "style": ...}'

The handler writes `applied(grp, event_id, subject, seq, member)`: in the consumer's transaction (style
`in_transaction`) or as the effects of a two-phase handler (style `two_phase`), which first records a call in
`external_calls` with no transaction open (the stand-in for an idempotent HTTP write to another service)."""
from __future__ import annotations

import asyncio
import json
import random
import sys

from ats.db import platform
from shared_schemas.envelope import EventEnvelope
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from talentkit.consumer import EventConsumer
from talentkit.db import sessionmaker

INSERT_APPLIED = text("INSERT INTO applied (grp, event_id, subject, seq, member) VALUES (:g, :e, :s, :q, :m)")


def consumer_for(engine: AsyncEngine, config: dict) -> EventConsumer:
    """The member's consumer: a small random delay per event, so many are in flight when the kill lands."""
    group, member = config["group"], config["member"]

    def row(event: EventEnvelope) -> dict:
        return {"g": group, "e": event.id, "s": event.subject, "q": event.sequence, "m": member}

    async def in_transaction(session: AsyncSession, event: EventEnvelope) -> None:
        await asyncio.sleep(random.uniform(0, config.get("max_delay", 0.03)))
        await session.execute(INSERT_APPLIED, row(event))

    async def two_phase(event: EventEnvelope):
        await asyncio.sleep(random.uniform(0, config.get("max_delay", 0.03)))
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO external_calls (grp, event_id) VALUES (:g, :e)"), {"g": group, "e": event.id})

        async def effects(session: AsyncSession) -> None:
            await session.execute(INSERT_APPLIED, row(event))
        return effects

    style = {"handler": in_transaction} if config["style"] == "in_transaction" else {"handle": two_phase}
    return EventConsumer(group=group, topics=(config["topic"],), bootstrap=config["bootstrap"],
                         sessions=sessionmaker(engine), tables=platform, max_in_flight=config.get("max_in_flight", 16),
                         **style)


async def main(config: dict) -> None:
    engine = create_async_engine(config["url"])
    try:
        await consumer_for(engine, config).run()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
