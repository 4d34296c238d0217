"""Every query of the profile sync of its own (links, tombstones and conflicts have theirs)."""
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sync_gateway.profiles.models import AggregateCursor


async def advance(session: AsyncSession, side: str, aggregate_id: str, sequence: int) -> bool:
    """Record `sequence` as the newest applied for the aggregate; False when the event is older."""
    stmt = insert(AggregateCursor).values(side=side, aggregate_id=aggregate_id, sequence=sequence)
    stmt = stmt.on_conflict_do_update(index_elements=["side", "aggregate_id"], set_={"sequence": sequence},
                                      where=AggregateCursor.sequence < sequence).returning(AggregateCursor.sequence)
    return (await session.execute(stmt)).first() is not None
