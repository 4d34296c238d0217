"""Every query of the backfill: links, tombstones and aggregate cursors a page at a time."""
import uuid
from typing import Any, cast

from shared_schemas.erasure import email_hash
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sync_gateway.links.models import Link
from sync_gateway.links.tombstones import Tombstone
from sync_gateway.profiles.models import AggregateCursor


async def links_of(session: AsyncSession, side: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, Link]:
    """The links of these records of one side, by record id."""
    column = Link.ats_candidate_id if side == "ats" else Link.crm_prospect_id
    rows = (await session.execute(select(Link).where(column.in_(ids)))).scalars()
    return {getattr(link, column.key): link for link in rows}


async def buried(session: AsyncSession, emails: list[str]) -> set[str]:
    """Those of `emails` that belong to an erased person (a tombstone holds their hash)."""
    hashes = {email_hash(e): e for e in emails}
    if not hashes:
        return set()
    found = (await session.execute(select(Tombstone.email_hash).where(Tombstone.email_hash.in_(hashes)))).scalars()
    return {hashes[h] for h in found}


async def add_links(session: AsyncSession, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert links in one statement; a candidate or prospect linked meanwhile (the live consumer) keeps its link.
    Returns the ATS candidate ids linked now."""
    if not rows:
        return set()
    # Core statement with the rows as parameters: compiled once and cached (a multi-VALUES statement is not).
    table = cast(Table, Link.__table__)
    stmt = insert(table).on_conflict_do_nothing().returning(table.c.ats_candidate_id)
    return set((await session.execute(stmt, [{"id": uuid.uuid4(), "confidence": 1.0, **row} for row in rows])).scalars())


async def advance(session: AsyncSession, side: str, sequences: dict[str, int]) -> None:
    """Record these versions as applied (never lowering one): the live consumer then skips the older events of
    these people without a single peer call."""
    if not sequences:
        return
    table = AggregateCursor.__table__
    stmt = insert(table)  # type: ignore[arg-type]
    stmt = stmt.on_conflict_do_update(index_elements=["side", "aggregate_id"], set_={"sequence": stmt.excluded.sequence},
                                      where=table.c.sequence < stmt.excluded.sequence)  # type: ignore[attr-defined]
    await session.execute(stmt, [{"side": side, "aggregate_id": k, "sequence": v} for k, v in sequences.items()])
