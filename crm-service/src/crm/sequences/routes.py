"""`/v1/sequences`."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from crm.sequences import service
from crm.sequences.schemas import SequenceCreate, SequenceRead, SequenceUpdate

router = APIRouter(prefix="/v1/sequences", tags=["Sequences"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = PROBLEM_ANSWER


def _out(view: dict[str, Any], status_code: int = 200, created: bool = False) -> Response:
    return resource_response(SequenceRead, view, status_code=status_code,
                             location=f"/v1/sequences/{view['id']}" if created else None, version=view["version"])


@router.post("", status_code=201, response_model=SequenceRead, summary="Create a sequence",
             responses={422: {"description": "Invalid step, window or token.", **P}})
async def create_sequence(body: SequenceCreate, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """A sequence of steps (email, sms, task) with delays, a send window, holidays and personalization tokens."""
    async def run() -> Response:
        return _out(await service.create(uow=uow, values=body.model_dump(mode="json"), ctx=ctx), 201, created=True)
    return await idem.run(run)


@router.get("", response_model=Page[SequenceRead], summary="List sequences")
async def list_sequences(ctx: Reader, uow: UoW, paging: PageQuery,
                         updated_after: Annotated[datetime | None, Query(description="Only sequences changed after this time.")] = None,
                         ) -> dict[str, Any]:
    """Sequences, oldest first; follow `next`."""
    return await service.list_sequences(uow=uow, paging=paging, updated_after=updated_after)


@router.get("/{sequence_id}", response_model=SequenceRead, summary="Get a sequence",
            responses={404: {"description": "No such sequence.", **P}})
async def get_sequence(sequence_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The sequence with its current definition; `ETag` carries its version."""
    return _out(await service.read(uow=uow, sequence_id=sequence_id))


@router.patch("/{sequence_id}", response_model=SequenceRead, summary="Edit a sequence",
              responses={404: {"description": "No such sequence.", **P}, 412: {"description": "Stale `If-Match`.", **P},
                         428: {"description": "`If-Match` missing.", **P}})
async def update_sequence(sequence_id: uuid.UUID, body: SequenceUpdate, ctx: Writer, uow: UoW,
                          if_match: Annotated[str | None, Header()] = None) -> Response:
    """Change settings or the definition; a new definition becomes `sequence_version + 1` and running
    enrollments keep the version they started with."""
    return _out(await service.update(uow=uow, sequence_id=sequence_id, values=body.model_dump(mode="json", exclude_unset=True),
                                     if_match=if_match, ctx=ctx))
