"""Scorecard use cases: filed and revised by the interview's own interviewers; submitting one moves its interview
towards `complete`; interviewers read others' feedback once they have given theirs."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import Conflict, Forbidden, NotFound, Unprocessable, field_error
from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork

from ats.interviews import repository as interviews
from ats.scorecards import repository
from ats.scorecards.models import Scorecard
from ats.users import acting_user


async def get(*, uow: UnitOfWork, scorecard_id: uuid.UUID, for_update: bool = False) -> Scorecard:
    """The scorecard, or 404."""
    card = await repository.get(uow.session, scorecard_id, for_update=for_update)
    if card is None:
        raise NotFound(f"No scorecard with id {scorecard_id}.")
    return card


async def read(*, uow: UnitOfWork, scorecard_id: uuid.UUID, ctx: RequestContext) -> Scorecard:
    """The scorecard, or 403 while the caller still owes their own feedback on its application."""
    card = await get(uow=uow, scorecard_id=scorecard_id)
    if await repository.hidden_from(uow.session, acting_user(ctx).lower(), [card.id]):
        raise Forbidden("Submit your own scorecard first: interviewers read other interviewers' feedback on an "
                        "application once they have given theirs for every interview of it they are on.",
                        reason="feedback_owed")
    return card


async def list_scorecards(*, uow: UnitOfWork, paging: Paging, interview_id: uuid.UUID | None,
                          application_id: uuid.UUID | None, updated_after: datetime | None,
                          ctx: RequestContext) -> dict[str, Any]:
    """A page of the scorecards the caller may read, oldest first."""
    stmt = repository.listing(interview_id=interview_id, application_id=application_id, updated_after=updated_after,
                              reader=acting_user(ctx).lower())
    return await paging.page(uow.session, stmt, model=Scorecard, filters={
        "interview_id": str(interview_id) if interview_id else None,
        "application_id": str(application_id) if application_id else None,
        "updated_after": updated_after.isoformat() if updated_after else None})


async def submit(*, uow: UnitOfWork, values: dict[str, Any], ctx: RequestContext) -> Scorecard:
    """The caller's feedback, as an interviewer of the interview."""
    # The interview's lock serializes its scorecards, so "has everyone submitted?" is answered once, correctly.
    interview = await interviews.get(uow.session, values["interview_id"], for_update=True)
    if interview is None:
        raise Unprocessable("No such interview.", errors=[field_error("interview_id", "unknown interview")])
    interviewer = acting_user(ctx).lower()
    if values.get("interviewer") not in (None, interviewer):
        raise Forbidden(f"You file your own scorecard: `interviewer` must be {interviewer} (the On-Behalf-Of user, "
                        "else your API key), or be left out.", reason="not_you")
    card = Scorecard.submit(interview, interviewer=interviewer, ratings=values["ratings"],
                            overall_recommendation=values["overall_recommendation"], notes=values.get("notes"),
                            actor=ctx.actor)
    existing = await repository.find(uow.session, interview.id, card.interviewer)
    if existing:
        raise Conflict(f"{card.interviewer} already submitted a scorecard for this interview; PATCH it instead.",
                       existing_scorecard_id=str(existing), existing_scorecard=f"/v1/scorecards/{existing}")
    uow.session.add(card)
    await uow.flush()
    interview.feedback_received(await repository.submitters(uow.session, interview.id), ctx.actor)
    return card


async def update(*, uow: UnitOfWork, scorecard_id: uuid.UUID, values: dict[str, Any], if_match: str | None,
                 ctx: RequestContext) -> Scorecard:
    """Revise the caller's own scorecard under If-Match."""
    card = await get(uow=uow, scorecard_id=scorecard_id, for_update=True)
    check_if_match(if_match, card.version)
    card.revise(values, by=acting_user(ctx), actor=ctx.actor)
    return card
