"""Every query on the conflict log."""
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from prometheus_client import Counter
from sqlalchemy import Select, delete, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sync_gateway.conflicts.models import Conflict
from sync_gateway.links.models import Link

CONFLICTS = Counter("gateway_conflicts_total", "Overridden values logged as conflicts", ["field", "rule"])


async def record(session: AsyncSession, conflicts: Sequence[Conflict]) -> int:
    """Log overridden values; a standing difference already logged (same values, rule and winner as the field's
    newest entry) is not logged again, and a link erased meanwhile keeps nothing. Returns how many were logged."""
    if not conflicts:
        return 0
    link_ids = {c.link_id for c in conflicts}
    # KEY SHARE: an erasure or merge deleting the link waits for this transaction (or we see it gone).
    alive = set((await session.execute(
        select(Link.id).where(Link.id.in_(link_ids)).with_for_update(key_share=True))).scalars())
    logged = 0
    for conflict in conflicts:
        if conflict.link_id not in alive or await _already_logged(session, conflict):
            continue
        session.add(conflict)
        CONFLICTS.labels(conflict.field, conflict.rule).inc()
        logged += 1
    return logged


async def _already_logged(session: AsyncSession, c: Conflict) -> bool:
    newest = (await session.execute(
        select(Conflict).where(Conflict.link_id == c.link_id, Conflict.field == c.field)
        .order_by(Conflict.created_at.desc()).limit(1))).scalar_one_or_none()
    return newest is not None and (newest.ats_value, newest.crm_value, newest.rule, newest.winner) == \
        (c.ats_value, c.crm_value, c.rule, c.winner)


async def erase_values(session: AsyncSession, link_id: uuid.UUID) -> None:
    """An erased person's conflicts keep field, rule, winner and times, not the values (names, emails, ...)."""
    await session.execute(update(Conflict).where(Conflict.link_id == link_id)
                          .values(ats_value=None, crm_value=None, values_erased_at=datetime.now(UTC)))


async def move(session: AsyncSession, *, from_link: uuid.UUID, to_link: uuid.UUID) -> None:
    """A merged person's conflicts follow the surviving link."""
    await session.execute(update(Conflict).where(Conflict.link_id == from_link).values(link_id=to_link))


def listing(*, candidate: uuid.UUID | None, prospect: uuid.UUID | None, field: str | None) -> Select:  # type: ignore[type-arg]
    """Conflicts of a person (by either side's id) and/or of one field."""
    stmt = select(Conflict)
    if candidate or prospect:
        stmt = stmt.join(Link, Link.id == Conflict.link_id).where(or_(
            Link.ats_candidate_id == candidate if candidate else false(),
            Link.crm_prospect_id == prospect if prospect else false()))
    if field:
        stmt = stmt.where(Conflict.field == field)
    return stmt


async def forget(session: AsyncSession, link_id: uuid.UUID) -> None:
    """A data-subject erasure: the conflicts of the person's link go with it (they held both sides' values)."""
    await session.execute(delete(Conflict).where(Conflict.link_id == link_id))
