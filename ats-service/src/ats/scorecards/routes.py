"""`/v1/scorecards`: submit, list, read, revise."""
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, next_url, paginate
from talentkit.responses import resource_response

from ats.scorecards import repository, service
from ats.scorecards.models import Scorecard
from ats.scorecards.schemas import ScorecardCreate, ScorecardRead, ScorecardUpdate

router = APIRouter(prefix="/v1/scorecards", tags=["Scorecards"])
Reader = Annotated[RequestContext, Depends(require("ats:read"))]
Writer = Annotated[RequestContext, Depends(require("ats:write"))]
IfMatch = Annotated[str | None, Header(description="The scorecard's `ETag` from your last read.")]
P = {"content": {"application/problem+json": {}}}


async def _read(coro: Awaitable[Scorecard], status_code: int = 200, created: bool = False) -> Response:
    card = await coro
    return resource_response(ScorecardRead, card, status_code=status_code,
                             location=f"/v1/scorecards/{card.id}" if created else None)


@router.post("", status_code=201, response_model=ScorecardRead, summary="Submit a scorecard",
             responses={409: {"description": "The interview is cancelled, or this interviewer already submitted "
                                             "(`existing_scorecard_id`).", **P},
                        422: {"description": "Invalid body, unknown interview, or `interviewer` is not on the interview.", **P}})
async def submit_scorecard(body: ScorecardCreate, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """Submit one interviewer's feedback on an interview they were on. Each interviewer submits once per interview
    (a second submission is 409 pointing at the first; PATCH that one). The interview becomes `complete` when every
    interviewer has submitted, else `awaiting_feedback`. Emits `ats.scorecard.submitted.v1` (without ratings or notes)."""
    return await idem.run(lambda: _read(service.submit(session, body.model_dump(mode="json") | {"interview_id": body.interview_id}, ctx),
                                        201, created=True))


@router.get("", response_model=Page[ScorecardRead], summary="List scorecards")
async def list_scorecards(request: Request, response: Response, ctx: Reader, session: Session,
                          interview_id: uuid.UUID | None = None, application_id: uuid.UUID | None = None,
                          updated_after: Annotated[datetime | None, Query(description="Only scorecards changed after this time.")] = None,
                          cursor: str | None = None,
                          limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Scorecards, oldest first, filtered with AND; follow `next`."""
    stmt = repository.listing(interview_id=interview_id, application_id=application_id, updated_after=updated_after)
    filters = {"interview_id": str(interview_id) if interview_id else None,
               "application_id": str(application_id) if application_id else None,
               "updated_after": updated_after.isoformat() if updated_after else None}
    rows, nxt = await paginate(session, request, response, stmt, created_col=Scorecard.created_at, id_col=Scorecard.id,
                               filters=filters, cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": nxt, "next": next_url(request, response)}


@router.get("/{scorecard_id}", response_model=ScorecardRead, summary="Get a scorecard",
            responses={404: {"description": "No such scorecard.", **P}})
async def get_scorecard(scorecard_id: uuid.UUID, ctx: Reader, session: Session) -> Response:
    """The scorecard with its ratings and notes; `ETag` carries its version."""
    return await _read(service.get(session, scorecard_id))


@router.patch("/{scorecard_id}", response_model=ScorecardRead, summary="Revise a scorecard",
              responses={404: {"description": "No such scorecard.", **P}, 412: {"description": "Stale `If-Match`.", **P},
                         422: {"description": "Invalid field.", **P}, 428: {"description": "`If-Match` missing.", **P}})
async def update_scorecard(scorecard_id: uuid.UUID, body: ScorecardUpdate, ctx: Writer, session: Session,
                           if_match: IfMatch = None) -> Response:
    """Change ratings, recommendation or notes of a submitted scorecard. Needs `If-Match`; the audit trail keeps
    every revision."""
    return await _read(service.update(session, scorecard_id, body.model_dump(mode="json", exclude_unset=True), if_match, ctx))
