"""Every query of the profile sync of its own (links, tombstones and conflicts have theirs)."""
import functools
import uuid
from collections.abc import Sequence
from typing import Any, cast

from shared_schemas.erasure import email_hash
from sqlalchemy import BigInteger, Boolean, Integer, Select, Table, bindparam, column, exists, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from talentkit.consuming.grouping import Fold

from sync_gateway.links.models import Link
from sync_gateway.links.tombstones import Tombstone
from sync_gateway.profiles.models import AggregateCursor

_ONE = select(literal(1).label("one")).subquery("one")  # a row to hang the outer join on


async def situation(session: AsyncSession, side: str, record_id: uuid.UUID,
                    emails: Sequence[str] = ()) -> tuple[int | None, Link | None, bool]:
    """In one read (no lock: an event's read phase): the newest sequence applied of the record, its link, and
    whether any of `emails` belongs to an erased person (a tombstone)."""
    params: dict[str, object] = {"record_id": record_id, "aggregate_id": str(record_id)}
    if emails:
        params["hashes"] = [email_hash(e) for e in emails]
    row = (await session.execute(_situation(side, bool(emails)), params)).one()
    return row[0], row[2], bool(row[1])


# The same read for many events at once (the consumer applies many concurrently): one statement for all of them,
# the links loaded in it.
_LINKS = cast(Table, Link.__table__)
_SITUATIONS_SQL = text("""
    WITH w AS (SELECT * FROM unnest(CAST(:sides AS text[]), CAST(:ids AS uuid[]), CAST(:ns AS int[])) AS w(side, record_id, n)),
         h AS (SELECT * FROM unnest(CAST(:hn AS int[]), CAST(:hh AS text[])) AS h(n, hash)),
         s AS (SELECT w.n,
                      (SELECT c.sequence FROM aggregate_cursors c WHERE c.side = w.side AND c.aggregate_id = w.record_id::text) AS sequence,
                      EXISTS (SELECT 1 FROM h JOIN tombstones t ON t.email_hash = h.hash WHERE h.n = w.n) AS buried,
                      CASE WHEN w.side = 'ats' THEN (SELECT l.id FROM links l WHERE l.ats_candidate_id = w.record_id)
                           ELSE (SELECT l.id FROM links l WHERE l.crm_prospect_id = w.record_id) END AS link_id
               FROM w)
    SELECT s.n, s.sequence, s.buried, {} FROM s LEFT JOIN links l ON l.id = s.link_id""".format(
    ", ".join(f"l.{c.name}" for c in _LINKS.c))).columns(
    column("n", Integer), column("sequence", BigInteger), column("buried", Boolean), *_LINKS.c).subquery("situation")
_LINKED = aliased(Link, _SITUATIONS_SQL)
_SITUATIONS = select(_SITUATIONS_SQL.c.n, _SITUATIONS_SQL.c.sequence, _SITUATIONS_SQL.c.buried, _LINKED)


async def situations(session: AsyncSession, wanted: Sequence[tuple[str, uuid.UUID, Sequence[str]]]
                     ) -> list[tuple[int | None, Link | None, bool]]:
    """`situation` of each (side, record id, emails), in order: one statement however many are asked."""
    hn = [n for n, (_, _, emails) in enumerate(wanted) for _ in emails]
    hh = [email_hash(e) for _, _, emails in wanted for e in emails]
    rows = (await session.execute(_SITUATIONS, {"sides": [w[0] for w in wanted], "ids": [w[1] for w in wanted],
                                                "ns": list(range(len(wanted))), "hn": hn, "hh": hh})).all()
    by_n = {n: (sequence, link, bool(buried)) for n, sequence, buried, link in rows}
    return [by_n[n] for n in range(len(wanted))]


@functools.cache
def _situation(side: str, with_emails: bool) -> Select[Any]:
    # built once per shape (it runs for every event): building it per call cost its construction and cache key
    sequence = (select(AggregateCursor.sequence)
                .where(AggregateCursor.side == side, AggregateCursor.aggregate_id == bindparam("aggregate_id"))
                .scalar_subquery())
    buried = exists().where(Tombstone.email_hash.in_(bindparam("hashes", expanding=True))) if with_emails \
        else literal(False)
    linked = (Link.ats_candidate_id if side == "ats" else Link.crm_prospect_id) == bindparam("record_id")
    return select(sequence.label("sequence"), buried.label("buried"), Link).select_from(_ONE).outerjoin(Link, linked)


# Record an event's sequence as the newest applied for its aggregate (unless a newer one is there): a row the
# consumer's group commit writes in its claim statement (`talentkit.consuming.grouping`), so an update whose
# only write is its cursor costs one statement and no transaction.
ADVANCE = Fold(
    name="advance", columns=(("side", "text"), ("aggregate_id", "text"), ("sequence", "bigint")),
    sql="INSERT INTO aggregate_cursors (side, aggregate_id, sequence) SELECT side, aggregate_id, sequence FROM {rows}"
        " ON CONFLICT (side, aggregate_id) DO UPDATE SET sequence = EXCLUDED.sequence"
        " WHERE aggregate_cursors.sequence < EXCLUDED.sequence")
