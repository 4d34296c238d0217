"""Every query of the profile sync of its own (links, tombstones and conflicts have theirs)."""
import uuid
from collections.abc import Sequence
from typing import cast

from shared_schemas.erasure import email_hash
from sqlalchemy import Table, exists, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sync_gateway.links.models import Link
from sync_gateway.links.tombstones import Tombstone
from sync_gateway.profiles.models import AggregateCursor

_ONE = select(literal(1).label("one")).subquery("one")  # a row to hang the outer join on


async def situation(session: AsyncSession, side: str, record_id: uuid.UUID,
                    emails: Sequence[str] = ()) -> tuple[int | None, Link | None, bool]:
    """In one read (no lock: an event's read phase): the newest sequence applied of the record, its link, and
    whether any of `emails` belongs to an erased person (a tombstone)."""
    sequence = (select(AggregateCursor.sequence)
                .where(AggregateCursor.side == side, AggregateCursor.aggregate_id == str(record_id)).scalar_subquery())
    buried = exists().where(Tombstone.email_hash.in_([email_hash(e) for e in emails])) if emails else literal(False)
    linked = (Link.ats_candidate_id if side == "ats" else Link.crm_prospect_id) == record_id
    row = (await session.execute(select(sequence.label("sequence"), buried.label("buried"), Link)
                                 .select_from(_ONE).outerjoin(Link, linked))).one()
    return row[0], row[2], bool(row[1])


async def advance(session: AsyncSession, side: str, aggregate_id: str, sequence: int) -> bool:
    """Record `sequence` as the newest applied for the aggregate; False when the event is older."""
    t = cast(Table, AggregateCursor.__table__)  # a core INSERT: the ORM's bulk-insert path costs more than the statement
    upsert = insert(t).values(side=side, aggregate_id=aggregate_id, sequence=sequence)
    stmt = upsert.on_conflict_do_update(index_elements=["side", "aggregate_id"], set_={"sequence": sequence},
                                      where=t.c.sequence < sequence).returning(t.c.sequence)
    return (await session.execute(stmt)).first() is not None
