"""Art. 14 listing."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork

from crm.compliance import art14 as rules
from crm.compliance import repository
from crm.prospects.models import Prospect


async def art14(*, uow: UnitOfWork, paging: Paging, status: str | None, now: datetime) -> dict[str, Any]:
    """A page of prospects owed an Art. 14 notice (or sent one), oldest first."""
    page = await paging.page(uow.session, repository.art14_listing(status, now), created_col=Prospect.created_at,
                             id_col=Prospect.id, filters={"status": status} if status else {})
    page["data"] = [{"prospect_id": p.id, "source": p.source, "collected_at": p.created_at, "due_at": p.art14_due_at,
                     "sent_at": p.art14_sent_at, "status": rules.status(p.art14_due_at, p.art14_sent_at, now)}
                    for p in page["data"]]
    return page
