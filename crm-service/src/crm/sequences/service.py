"""Sequence use cases: create (version 1), edit (a new version when the definition changes), read, list."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import NotFound
from talentkit.pagination import Paging, iso
from talentkit.uow import UnitOfWork

from crm.sequences import repository
from crm.sequences.models import Sequence, SequenceVersion


async def get(*, uow: UnitOfWork, sequence_id: uuid.UUID, for_update: bool = False) -> Sequence:
    """The sequence, or 404."""
    seq = await repository.get(uow.session, sequence_id, for_update=for_update)
    if seq is None:
        raise NotFound(f"No sequence with id {sequence_id}.")
    return seq


async def version_of(*, uow: UnitOfWork, sequence_id: uuid.UUID, number: int) -> SequenceVersion:
    """One stored version of a sequence's definition."""
    return await repository.version_of(uow.session, sequence_id, number)


def view(seq: Sequence, current: SequenceVersion) -> dict[str, Any]:
    """The sequence as the API shows it: settings plus its current definition."""
    return {**{c: getattr(seq, c) for c in ("id", "name", "sender_mailbox", "daily_cap", "min_gap_seconds", "version",
                                            "created_at", "updated_at", "created_by", "updated_by")},
            "sequence_version": seq.current_version, **current.definition()}


async def read(*, uow: UnitOfWork, sequence_id: uuid.UUID) -> dict[str, Any]:
    """The sequence with its current definition."""
    seq = await get(uow=uow, sequence_id=sequence_id)
    return view(seq, await version_of(uow=uow, sequence_id=seq.id, number=seq.current_version))


async def list_sequences(*, uow: UnitOfWork, paging: Paging, updated_after: datetime | None) -> dict[str, Any]:
    """A page of sequences with their current definitions, oldest first."""
    page = await paging.page(uow.session, repository.listing(updated_after=updated_after), created_col=Sequence.created_at,
                             id_col=Sequence.id, filters={"updated_after": iso(updated_after)})
    page["data"] = [view(s, await version_of(uow=uow, sequence_id=s.id, number=s.current_version)) for s in page["data"]]
    return page


async def create(*, uow: UnitOfWork, values: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    """Store a sequence and its first version."""
    seq, first = Sequence.create(values, ctx.actor)
    uow.session.add(seq)
    await uow.flush()
    uow.session.add(first)
    await uow.flush()
    return view(seq, first)


async def update(*, uow: UnitOfWork, sequence_id: uuid.UUID, values: dict[str, Any], if_match: str | None,
                 ctx: RequestContext) -> dict[str, Any]:
    """Change settings and/or the definition (the latter makes a new version); needs If-Match."""
    seq = await get(uow=uow, sequence_id=sequence_id, for_update=True)
    check_if_match(if_match, seq.version)
    current = await version_of(uow=uow, sequence_id=seq.id, number=seq.current_version)
    _, new = seq.edit(values, current, ctx.actor)
    if new is not None:
        uow.session.add(new)
    await uow.flush()
    return view(seq, new or current)
