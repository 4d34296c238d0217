"""Every query on links."""
import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from sync_gateway.links.models import Link


async def by_side(session: AsyncSession, side: str, record_id: uuid.UUID) -> Link | None:
    """The link of an ATS candidate (`side="ats"`) or a CRM prospect (`side="crm"`), locked for this transaction."""
    column = Link.ats_candidate_id if side == "ats" else Link.crm_prospect_id
    return (await session.execute(select(Link).where(column == record_id).with_for_update())).scalar_one_or_none()


def listing(*, ats_candidate_id: uuid.UUID | None, crm_prospect_id: uuid.UUID | None) -> Select:  # type: ignore[type-arg]
    stmt = select(Link)
    if ats_candidate_id:
        stmt = stmt.where(Link.ats_candidate_id == ats_candidate_id)
    if crm_prospect_id:
        stmt = stmt.where(Link.crm_prospect_id == crm_prospect_id)
    return stmt
