"""The conflict log as a service."""
import uuid
from typing import Any

from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork

from sync_gateway.conflicts import repository
from sync_gateway.conflicts.models import Conflict


async def listing(*, uow: UnitOfWork, pages: Paging, candidate: uuid.UUID | None, prospect: uuid.UUID | None,
                  field: str | None) -> dict[str, Any]:
    """One page of conflicts, oldest first, of one person and/or one field."""
    stmt = repository.listing(candidate=candidate, prospect=prospect, field=field)
    return await pages.page(uow.session, stmt, created_col=Conflict.created_at, id_col=Conflict.id,
                      filters={"candidate": str(candidate) if candidate else None,
                               "prospect": str(prospect) if prospect else None, "field": field})
