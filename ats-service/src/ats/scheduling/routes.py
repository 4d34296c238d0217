"""`GET /v1/interviews/slots` and `/v1/scheduling-invites`."""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.responses import resource_response

from ats.interviews.schemas import Interviewer
from ats.scheduling import service
from ats.scheduling.schemas import InviteCreate, InviteRead, Slot, SlotList

slots = APIRouter(prefix="/v1/interviews", tags=["Interviews"])
invites = APIRouter(prefix="/v1/scheduling-invites", tags=["Self-scheduling"])
Reader = Annotated[RequestContext, Depends(require("ats:read"))]
Writer = Annotated[RequestContext, Depends(require("ats:write"))]
P = PROBLEM_ANSWER


@slots.get("/slots", response_model=SlotList, summary="Propose free slots for a panel",
           responses={422: {"description": "Bad window, or an interviewer without availability (`interviewers`).", **P}})
async def propose_slots(ctx: Reader, uow: UoW,
                        interviewers: Annotated[list[Interviewer], Query(min_length=1, max_length=20, description="Repeat for each panelist.")],
                        from_: Annotated[AwareDatetime, Query(alias="from", description="Window start (with offset).")],
                        to: Annotated[AwareDatetime, Query(description="Window end, at most 31 days after `from`.")],
                        duration_minutes: Annotated[int, Query(ge=15, le=480)] = 60,
                        step_minutes: Annotated[int, Query(ge=5, le=240, description="Slots start on these boundaries (UTC).")] = 30,
                        limit: Annotated[int, Query(ge=1, le=200)] = 50) -> SlotList:
    """Times when every panelist is inside their working hours (in their own zone) and has neither a busy block
    nor an interview. A proposal is not a hold: booking can still lose the slot (409)."""
    found = await service.propose(uow=uow, panel=list(dict.fromkeys(interviewers)), start=from_, end=to,
                                  duration=timedelta(minutes=duration_minutes), step=timedelta(minutes=step_minutes),
                                  limit=limit)
    return SlotList(data=[Slot(starts_at=s, ends_at=e) for s, e in found])


@invites.post("", status_code=201, response_model=InviteRead, summary="Invite a candidate to book an interview",
              responses={409: {"description": "Application not active, or the candidate has no email.", **P},
                         422: {"description": "Invalid body, unknown application or stage, panel without availability.", **P}})
async def create_invite(body: InviteCreate, request: Request, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Email the candidate a signed link (valid until `expires_at`) to a page listing the panel's free slots in
    the window; the slot they pick becomes an interview (`ats.interview.scheduled.v1`, with invitations). Two
    candidates picking the same time: the first books it, the second is asked to pick another."""
    async def run() -> Response:
        settings = request.app.state.settings
        values = body.model_dump(mode="python")
        values["video_link"] = str(body.video_link) if body.video_link else None
        invite, url = await service.create_invite(uow=uow, values=values, ctx=ctx, signer=settings.signer(),
                                                  base_url=settings.public_base_url)
        read = InviteRead.model_validate(invite).model_copy(update={"url": url})
        return resource_response(InviteRead, read, status_code=201, location=f"/v1/scheduling-invites/{invite.id}",
                                 version=invite.version)
    return await idem.run(run)


@invites.get("/{invite_id}", response_model=InviteRead, summary="Get a scheduling invite",
             responses={404: {"description": "No such invite.", **P}})
async def get_invite(invite_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """Whether the candidate has booked (`interview_id`)."""
    return resource_response(InviteRead, await service.get_invite(uow=uow, invite_id=invite_id))


@invites.post("/{invite_id}/cancel", response_model=InviteRead, summary="Withdraw a scheduling invite",
              responses={404: {"description": "No such invite.", **P}, 409: {"description": "Already booked or cancelled.", **P}})
async def cancel_invite(invite_id: uuid.UUID, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """The link stops working (an interview it booked stays: cancel that at `/v1/interviews/{id}/cancel`)."""
    async def run() -> Response:
        return resource_response(InviteRead, await service.cancel_invite(uow=uow, invite_id=invite_id, ctx=ctx))
    return await idem.run(run)
