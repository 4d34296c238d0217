"""Handing out people's event keys: the keys are kept by `talentkit.sealing` (the table `subject_keys`)."""
from __future__ import annotations

from sqlalchemy import Table

from talentkit.errors import NotFound
from talentkit.sealing import sealer_for
from talentkit.uow import UnitOfWork


async def key(*, uow: UnitOfWork, table: Table, subject_id: str) -> bytes:
    """The person's key, or 404 once they are erased (or never had personal data in events)."""
    found = await sealer_for(table).key(uow.session, subject_id)
    if found is None:
        raise NotFound(f"No event key for {subject_id}: erased, or never had personal data in events.")
    return found


async def keys(*, uow: UnitOfWork, table: Table, subject_ids: list[str]) -> dict[str, bytes]:
    """The keys of those of the people who have one (the erased are absent)."""
    return await sealer_for(table).keys(uow.session, subject_ids)
