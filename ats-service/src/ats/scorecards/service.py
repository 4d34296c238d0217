"""Scorecard use cases: submitting one moves its interview towards `complete`; both are audited."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import Conflict, Forbidden, NotFound, Unprocessable, field_error

from ats.audit import service as audit
from ats.events import emit
from ats.interviews import repository as interviews
from ats.scorecards import repository
from ats.scorecards.models import Scorecard
from ats.users import acting_user


async def get(session: AsyncSession, scorecard_id: uuid.UUID, *, for_update: bool = False) -> Scorecard:
    """The scorecard, or 404."""
    card = await repository.get(session, scorecard_id, for_update=for_update)
    if card is None:
        raise NotFound(f"No scorecard with id {scorecard_id}.")
    return card


async def read(session: AsyncSession, scorecard_id: uuid.UUID, ctx: RequestContext) -> Scorecard:
    """The scorecard, or 403 while the caller still owes their own feedback on its application."""
    card = await get(session, scorecard_id)
    if await repository.hidden_from(session, acting_user(ctx).lower(), [card.id]):
        raise Forbidden("Submit your own scorecard first: interviewers read other interviewers' feedback on an "
                        "application once they have given theirs for every interview of it they are on.",
                        reason="feedback_owed")
    return card


async def submit(session: AsyncSession, values: dict[str, Any], ctx: RequestContext) -> Scorecard:
    # The interview's lock serializes its scorecards, so "has everyone submitted?" is answered once, correctly.
    interview = await interviews.get(session, values["interview_id"], for_update=True)
    if interview is None:
        raise Unprocessable("No such interview.", errors=[field_error("interview_id", "unknown interview")])
    interviewer = acting_user(ctx).lower()
    if values.get("interviewer") not in (None, interviewer):
        raise Forbidden(f"You file your own scorecard: `interviewer` must be {interviewer} (the On-Behalf-Of user, "
                        "else your API key), or be left out.", reason="not_you")
    values = {**values, "interviewer": interviewer}
    card = Scorecard.submit(interview, interviewer=interviewer, ratings=values["ratings"],
                            overall_recommendation=values["overall_recommendation"], notes=values.get("notes"),
                            actor=ctx.actor)
    existing = await repository.find(session, interview.id, card.interviewer)
    if existing:
        raise Conflict(f"{card.interviewer} already submitted a scorecard for this interview; PATCH it instead.",
                       existing_scorecard_id=str(existing), existing_scorecard=f"/v1/scorecards/{existing}")
    session.add(card)
    await session.flush()
    await emit(session, ctx, "ats.scorecard.submitted.v1", aggregate_id=card.id, sequence=card.version, data={
        "scorecard_id": card.id, "interview_id": interview.id, "application_id": card.application_id,
        "candidate_id": interview.application.candidate_id, "interviewer": card.interviewer,
        "overall_recommendation": card.overall_recommendation, "submitted_at": card.submitted_at})
    await audit.record(session, ctx, "scorecard.submitted", "scorecard", card.id,
                       {k: {"before": None, "after": v} for k, v in values.items()})
    before = interview.feedback_received(await repository.submitters(session, interview.id), ctx.actor)
    if interview.current_status != before:
        await session.flush()
        await audit.record(session, ctx, f"interview.{interview.status}", "interview", interview.id,
                           {"status": {"before": before, "after": interview.status}})
    return card


async def update(session: AsyncSession, scorecard_id: uuid.UUID, values: dict[str, Any], if_match: str | None,
                 ctx: RequestContext) -> Scorecard:
    card = await get(session, scorecard_id, for_update=True)
    check_if_match(if_match, card.version)
    changes = card.revise(values, by=acting_user(ctx), actor=ctx.actor)
    if changes:
        await session.flush()
        await audit.record(session, ctx, "scorecard.updated", "scorecard", card.id, changes)
    return card
