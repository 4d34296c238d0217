"""Dead-letter use cases: list, replay (through the outbox, in the caller's unit of work), discard."""
from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request, Response
from talentkit.auth import RequestContext
from talentkit.pagination import paginate
from talentkit.uow import UnitOfWork

from sync_gateway.operations import repository
from sync_gateway.operations.models import DeadLetter


async def list_letters(*, uow: UnitOfWork, request: Request, response: Response, status: str | None,
                       cursor: str | None, limit: int) -> tuple[list[DeadLetter], str | None]:
    """One page of dead letters, oldest first, and the next cursor."""
    rows: list[Any]
    rows, nxt = await paginate(uow.session, request, response, repository.letters(status),
                               created_col=DeadLetter.created_at, id_col=DeadLetter.id,
                               filters={"status": status}, cursor=cursor, limit=limit)
    return rows, nxt


async def replay(*, uow: UnitOfWork, letter_id: uuid.UUID, ctx: RequestContext) -> DeadLetter:
    """Send the letter's event again to its topic, unchanged: an outbox row written with the `replayed` mark in one
    transaction, published by the gateway's relay. The consumer applies it once the cause is fixed (it was never
    marked processed); if it fails again it is a new dead letter."""
    letter = await repository.letter(uow.session, letter_id)
    envelope = letter.replay(ctx.actor)
    await repository.republish(uow.session, letter.topic, envelope)
    await uow.flush()
    return letter


async def discard(*, uow: UnitOfWork, letter_id: uuid.UUID, ctx: RequestContext) -> DeadLetter:
    """Close the letter without applying it; who did it is kept."""
    letter = await repository.letter(uow.session, letter_id)
    letter.discard(ctx.actor)
    await uow.flush()
    return letter
