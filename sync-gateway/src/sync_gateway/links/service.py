"""Links as a service: find them, get one."""
import uuid
from typing import Any

from talentkit.errors import NotFound
from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork

from sync_gateway.links import repository
from sync_gateway.links.models import Link


async def listing(*, uow: UnitOfWork, pages: Paging, ats_candidate_id: uuid.UUID | None,
                  crm_prospect_id: uuid.UUID | None) -> dict[str, Any]:
    """One page of links, oldest first, of one person when an id is given."""
    filters = {"ats_candidate_id": str(ats_candidate_id) if ats_candidate_id else None,
               "crm_prospect_id": str(crm_prospect_id) if crm_prospect_id else None}
    stmt = repository.listing(ats_candidate_id=ats_candidate_id, crm_prospect_id=crm_prospect_id)
    return await pages.page(uow.session, stmt, created_col=Link.created_at, id_col=Link.id, filters=filters)


async def get(*, uow: UnitOfWork, link_id: uuid.UUID) -> Link:
    """One link, or 404."""
    link = await repository.get(uow.session, link_id)
    if link is None:
        raise NotFound(f"No link with id {link_id}.")
    return link
