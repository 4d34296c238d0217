"""Work history use cases: read it, replace it."""
from __future__ import annotations

import uuid
from typing import Any

from talentkit.uow import UnitOfWork

from crm.prospects.service import prospects
from crm.work_history import repository


async def read(*, uow: UnitOfWork, prospect_id: uuid.UUID) -> dict[str, Any]:
    """The prospect's positions, latest start first (404: no such prospect)."""
    await prospects.get(uow.session, prospect_id)
    return {"prospect_id": prospect_id, "positions": await repository.positions_of(uow.session, prospect_id)}


async def replace(*, uow: UnitOfWork, prospect_id: uuid.UUID, positions: list[dict[str, Any]]) -> dict[str, Any]:
    """Replace the prospect's work history (410 erased, 409 merged: as every write naming a prospect)."""
    record = await prospects.get(uow.session, prospect_id, for_update=True)
    record.ensure_writable()
    await repository.replace(uow.session, prospect_id, positions)
    return {"prospect_id": prospect_id, "positions": await repository.positions_of(uow.session, prospect_id)}
