"""`/v1/scorecards`: submit, list, read, revise."""
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from ats.scorecards import service
from ats.scorecards.models import Scorecard
from ats.scorecards.schemas import ScorecardCreate, ScorecardRead, ScorecardUpdate

router = APIRouter(prefix="/v1/scorecards", tags=["Scorecards"])
Reader = Annotated[RequestContext, Depends(require("ats:read"))]
Writer = Annotated[RequestContext, Depends(require("ats:write"))]
IfMatch = Annotated[str | None, Header(description="The scorecard's `ETag` from your last read.")]
P = PROBLEM_ANSWER


async def _read(coro: Awaitable[Scorecard], status_code: int = 200, created: bool = False) -> Response:
    card = await coro
    return resource_response(ScorecardRead, card, status_code=status_code,
                             location=f"/v1/scorecards/{card.id}" if created else None)


@router.post("", status_code=201, response_model=ScorecardRead, summary="Submit a scorecard",
             responses={409: {"description": "The interview is cancelled, or this interviewer already submitted "
                                             "(`existing_scorecard_id`).", **P},
                        403: {"description": "You are not one of the interview's interviewers (`reason: not_an_interviewer`), "
                                             "or `interviewer` names someone else (`reason: not_you`).", **P},
                        422: {"description": "Invalid body or unknown interview.", **P}})
async def submit_scorecard(body: ScorecardCreate, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Submit your feedback on an interview you were on. You are the interviewer: the user named in
    `On-Behalf-Of` (when your key acts for users), else your API key's principal id, and it must be one of the
    interview's `interviewers` (compared lower-cased; 403 otherwise, also for a recruiter's key without
    `On-Behalf-Of`). Each interviewer submits once per interview (a second submission is 409 pointing at the first;
    PATCH that one). The interview becomes `complete` when every interviewer has submitted, else
    `awaiting_feedback`. Emits `ats.scorecard.submitted.v1` (without ratings or notes)."""
    values = body.model_dump(mode="json") | {"interview_id": body.interview_id}
    return await idem.run(lambda: _read(service.submit(uow=uow, values=values, ctx=ctx), 201, created=True))


@router.get("", response_model=Page[ScorecardRead], summary="List scorecards")
async def list_scorecards(ctx: Reader, uow: UoW, paging: PageQuery,
                          interview_id: uuid.UUID | None = None, application_id: uuid.UUID | None = None,
                          updated_after: Annotated[datetime | None, Query(description="Only scorecards changed after this time.")] = None,
                          ) -> dict[str, Any]:
    """Scorecards, oldest first, filtered with AND; follow `next`. Blind feedback: while you (the `On-Behalf-Of`
    user, else your API key) are an interviewer of an application's interview (not cancelled) without having
    submitted your scorecard for it, other interviewers' scorecards of that application are left out. Everyone
    else (recruiters and admins calling without `On-Behalf-Of`, hiring managers who do not interview) sees all."""
    return await service.list_scorecards(uow=uow, paging=paging, interview_id=interview_id, application_id=application_id,
                                         updated_after=updated_after, ctx=ctx)


@router.get("/{scorecard_id}", response_model=ScorecardRead, summary="Get a scorecard",
            responses={404: {"description": "No such scorecard.", **P},
                       403: {"description": "Another interviewer's scorecard, while you still owe feedback on the "
                                            "application (`reason: feedback_owed`).", **P}})
async def get_scorecard(scorecard_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The scorecard with its ratings and notes; `ETag` carries its version. The blind-feedback rule of the list
    applies: 403 while you owe your own scorecard on the application."""
    return await _read(service.read(uow=uow, scorecard_id=scorecard_id, ctx=ctx))


@router.patch("/{scorecard_id}", response_model=ScorecardRead, summary="Revise a scorecard",
              responses={404: {"description": "No such scorecard.", **P},
                         403: {"description": "Not your scorecard (`reason: not_your_scorecard`).", **P}, 412: {"description": "Stale `If-Match`.", **P},
                         422: {"description": "Invalid field.", **P}, 428: {"description": "`If-Match` missing.", **P}})
async def update_scorecard(scorecard_id: uuid.UUID, body: ScorecardUpdate, ctx: Writer, uow: UoW,
                           if_match: IfMatch = None) -> Response:
    """Change ratings, recommendation or notes of your submitted scorecard (only its interviewer, as for
    submitting, may: 403 otherwise). Needs `If-Match`; the audit trail keeps every revision."""
    return await _read(service.update(uow=uow, scorecard_id=scorecard_id, values=body.model_dump(mode="json", exclude_unset=True),
                                      if_match=if_match, ctx=ctx))
