"""Every query on links."""
import uuid
from typing import cast

from sqlalchemy import Select, Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sync_gateway.links.models import Link


async def by_side(session: AsyncSession, side: str, record_id: uuid.UUID) -> Link | None:
    """The link of an ATS candidate (`side="ats"`) or a CRM prospect (`side="crm"`), locked for this transaction."""
    column = Link.ats_candidate_id if side == "ats" else Link.crm_prospect_id
    return (await session.execute(select(Link).where(column == record_id).with_for_update())).scalar_one_or_none()


async def of(session: AsyncSession, side: str, record_id: uuid.UUID) -> Link | None:
    """The link of an ATS candidate or a CRM prospect, read without a lock (an event's read phase: the consumer
    runs one event per person at a time, and the writes that follow are guarded by unique constraints)."""
    column = Link.ats_candidate_id if side == "ats" else Link.crm_prospect_id
    return (await session.execute(select(Link).where(column == record_id))).scalar_one_or_none()


async def get(session: AsyncSession, link_id: uuid.UUID) -> Link | None:
    """One link by id."""
    return await session.get(Link, link_id)


def listing(*, ats_candidate_id: uuid.UUID | None, crm_prospect_id: uuid.UUID | None) -> Select:  # type: ignore[type-arg]
    """Links, of one person when an id is given."""
    stmt = select(Link)
    if ats_candidate_id:
        stmt = stmt.where(Link.ats_candidate_id == ats_candidate_id)
    if crm_prospect_id:
        stmt = stmt.where(Link.crm_prospect_id == crm_prospect_id)
    return stmt


def new(*, ats_candidate_id: uuid.UUID, crm_prospect_id: uuid.UUID, matched_by: str, caused_by_event: str) -> Link:
    """A link not stored yet, with its id (conflicts can name it before it is stored)."""
    return Link(id=uuid.uuid4(), ats_candidate_id=ats_candidate_id, crm_prospect_id=crm_prospect_id,
                matched_by=matched_by, confidence=1.0, caused_by_event=caused_by_event)


async def store(session: AsyncSession, link: Link) -> Link:
    """Store a new link (one INSERT: a second link of either id fails here, on the unique constraint)."""
    await session.execute(insert(cast(Table, Link.__table__)).values(id=link.id, ats_candidate_id=link.ats_candidate_id,
                                              crm_prospect_id=link.crm_prospect_id, matched_by=link.matched_by,
                                              confidence=link.confidence, caused_by_event=link.caused_by_event))
    return link


async def remove(session: AsyncSession, link_id: uuid.UUID) -> None:
    """Remove a link by id (its conflicts stay, without it)."""
    await session.execute(delete(Link).where(Link.id == link_id))


async def repoint(session: AsyncSession, link_id: uuid.UUID, side: str, record_id: uuid.UUID) -> None:
    """Point one side of a link at another record (a merge's survivor)."""
    column = "ats_candidate_id" if side == "ats" else "crm_prospect_id"
    await session.execute(update(Link).where(Link.id == link_id).values({column: record_id}))
