"""`/v1/sequences`."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy import select
from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, next_url, paginate
from talentkit.responses import resource_response

from crm.sequences import service
from crm.sequences.models import Sequence
from crm.sequences.schemas import SequenceCreate, SequenceRead, SequenceUpdate

router = APIRouter(prefix="/v1/sequences", tags=["Sequences"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = {"content": {"application/problem+json": {}}}


def _out(view: dict[str, Any], status_code: int = 200, created: bool = False) -> Response:
    return resource_response(SequenceRead, view, status_code=status_code,
                             location=f"/v1/sequences/{view['id']}" if created else None, version=view["version"])


@router.post("", status_code=201, response_model=SequenceRead, summary="Create a sequence",
             responses={422: {"description": "Invalid step, window or token.", **P}})
async def create_sequence(body: SequenceCreate, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """A sequence of steps (email, sms, task) with delays, a send window, holidays and personalization tokens."""
    async def run() -> Response:
        return _out(await service.create(session, body.model_dump(mode="json"), ctx), 201, created=True)
    return await idem.run(run)


@router.get("", response_model=Page[SequenceRead], summary="List sequences")
async def list_sequences(request: Request, response: Response, ctx: Reader, session: Session,
                         updated_after: Annotated[datetime | None, Query(description="Only sequences changed after this time.")] = None,
                         cursor: str | None = None,
                         limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Sequences, oldest first; follow `next`."""
    stmt = select(Sequence)
    if updated_after:
        stmt = stmt.where(Sequence.updated_at > updated_after)
    rows, nxt = await paginate(session, request, response, stmt, created_col=Sequence.created_at, id_col=Sequence.id,
                               filters={"updated_after": updated_after.isoformat() if updated_after else None},
                               cursor=cursor, limit=limit)
    data = [service.view(s, await service.version_of(session, s.id, s.current_version)) for s in rows]
    return {"data": data, "next_cursor": nxt, "next": next_url(request, response)}


@router.get("/{sequence_id}", response_model=SequenceRead, summary="Get a sequence",
            responses={404: {"description": "No such sequence.", **P}})
async def get_sequence(sequence_id: uuid.UUID, ctx: Reader, session: Session) -> Response:
    """The sequence with its current definition; `ETag` carries its version."""
    return _out(await service.read(session, sequence_id))


@router.patch("/{sequence_id}", response_model=SequenceRead, summary="Edit a sequence",
              responses={404: {"description": "No such sequence.", **P}, 412: {"description": "Stale `If-Match`.", **P},
                         428: {"description": "`If-Match` missing.", **P}})
async def update_sequence(sequence_id: uuid.UUID, body: SequenceUpdate, ctx: Writer, session: Session,
                          if_match: Annotated[str | None, Header()] = None) -> Response:
    """Change settings or the definition; a new definition becomes `sequence_version + 1` and running
    enrollments keep the version they started with."""
    return _out(await service.update(session, sequence_id, body.model_dump(mode="json", exclude_unset=True), if_match, ctx))
