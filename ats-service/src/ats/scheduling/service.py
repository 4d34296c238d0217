"""Slot proposals for a panel, and self-scheduling: a recruiter offers a window, the candidate books a slot of
it through a signed link (the interviewers' exclusion constraint decides between two candidates racing for the
same time: exactly one books it)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from talentkit.auth import RequestContext
from talentkit.errors import Conflict, NotFound, Unprocessable, field_error
from talentkit.tokens import TokenSigner
from talentkit.uow import UnitOfWork

from ats.applications import service as applications
from ats.applications.models import ApplicationStatus
from ats.candidates.service import candidates
from ats.interviewers import repository as interviewers
from ats.interviews import service as interviews
from ats.interviews.models import Interview
from ats.jobs import repository as jobs
from ats.mail.service import Mail, queue
from ats.scheduling import repository
from ats.scheduling.models import InviteStatus, SchedulingInvite
from ats.scheduling.slots import Calendar, free_slots

PURPOSE = "interview-scheduling"
MAX_WINDOW = timedelta(days=31)
STEP = timedelta(minutes=30)
OFFERED = 40  # slots shown on the candidate's page


class SlotTaken(Conflict):
    """The time is no longer free (another booking won it, or it left the window)."""


async def propose(*, uow: UnitOfWork, panel: list[str], start: datetime, end: datetime, duration: timedelta,
                  step: timedelta, limit: int) -> list[tuple[datetime, datetime]]:
    """Free slots for the whole panel between `start` and `end`."""
    if end <= start or end - start > MAX_WINDOW:
        raise Unprocessable("The window ends after it starts, at most 31 days later.",
                            errors=[field_error("to", "after `from`, at most 31 days later")])
    found = await interviewers.many(uow.session, panel)
    if missing := [p for p in panel if p not in found]:
        raise Unprocessable("Some interviewers have no availability recorded (PUT /v1/interviewers/{id}).",
                            errors=[field_error("interviewers", f"no availability for {', '.join(missing)}")])
    booked = await interviewers.booked(uow.session, panel, start, end)
    calendars = [Calendar(found[p].timezone, found[p].hours(),
                          [(b.starts_at, b.ends_at) for b in found[p].busy_blocks] + booked[p]) for p in panel]
    return free_slots(calendars, start=start, end=end, duration=duration, step=step, limit=limit)


async def create_invite(*, uow: UnitOfWork, values: dict[str, Any], ctx: RequestContext, signer: TokenSigner,
                        base_url: str) -> tuple[SchedulingInvite, str]:
    """Offer the application's candidate a window to book from; their link is emailed now (after commit)."""
    app = await applications.referenced(uow=uow, application_id=values["application_id"])
    if app.status != ApplicationStatus.ACTIVE:
        raise Conflict(f"Interviews need an active application; this one is {app.status}.",
                       application_status=str(app.status))
    stage = await jobs.stage(uow.session, values["stage_id"])
    if stage is None or stage.job_id != app.job_id:
        raise Unprocessable("Not a stage of the application's job.", errors=[field_error("stage_id", "unknown stage for this job")])
    await propose(uow=uow, panel=values["interviewers"], start=values["window_start"], end=values["window_end"],
                  duration=timedelta(minutes=values["duration_minutes"]), step=STEP, limit=1)  # checks the panel
    candidate = await candidates.get(uow.session, app.candidate_id)
    if not candidate.emails:
        raise Conflict("The candidate has no email address to send the link to.")
    invite = SchedulingInvite.offer(values, ctx.actor)
    uow.session.add(invite)
    await uow.flush()
    url = f"{base_url.rstrip('/')}/public/interviews/{signer.sign(PURPOSE, {'i': str(invite.id)}, expires_at=invite.expires_at)}"
    expires = invite.expires_at.astimezone(ZoneInfo(invite.timezone))
    await queue(uow, Mail(to=candidate.emails[0], subject="Choose a time for your interview", text=(
        f"Hello {candidate.first_name},\n\nplease choose a time for your {invite.duration_minutes}-minute interview "
        f"here:\n\n{url}\n\nThe link works until {expires:%A %d %B %Y, %H:%M} ({invite.timezone}).\n")),
        dedupe_key=f"scheduling-invite:{invite.id}", candidate_id=candidate.id)
    return invite, url


async def get_invite(*, uow: UnitOfWork, invite_id: uuid.UUID, for_update: bool = False) -> SchedulingInvite:
    """The invite, or 404."""
    invite = await repository.get(uow.session, invite_id, for_update=for_update)
    if invite is None:
        raise NotFound(f"No scheduling invite with id {invite_id}.")
    return invite


async def cancel_invite(*, uow: UnitOfWork, invite_id: uuid.UUID, ctx: RequestContext) -> SchedulingInvite:
    """Withdraw an open invite: its link stops working."""
    invite = await get_invite(uow=uow, invite_id=invite_id, for_update=True)
    invite.cancel(ctx.actor)
    return invite


async def offered_slots(*, uow: UnitOfWork, invite: SchedulingInvite, now: datetime) -> list[tuple[datetime, datetime]]:
    """The slots the candidate may pick now."""
    start = max(now, invite.window_start)
    if start >= invite.window_end:
        return []
    return await propose(uow=uow, panel=list(invite.interviewers), start=start, end=invite.window_end,
                         duration=timedelta(minutes=invite.duration_minutes), step=STEP, limit=OFFERED)


async def book(*, uow: UnitOfWork, invite_id: uuid.UUID, starts_at: datetime, now: datetime,
               ctx: RequestContext) -> Interview:
    """The candidate books `starts_at`: an interview for the whole panel, or SlotTaken."""
    invite = await get_invite(uow=uow, invite_id=invite_id, for_update=True)  # one booking per invite at a time
    if invite.status != InviteStatus.OPEN:
        raise Conflict(f"The invite is {invite.status}.", invite_status=str(invite.status))
    if starts_at not in {s for s, _ in await offered_slots(uow=uow, invite=invite, now=now)}:
        raise SlotTaken("That time is no longer available.")
    try:
        interview = await interviews.schedule(uow=uow, ctx=ctx, values={
            "application_id": invite.application_id, "stage_id": invite.stage_id, "starts_at": starts_at,
            "ends_at": starts_at + timedelta(minutes=invite.duration_minutes), "timezone": invite.timezone,
            "interviewers": list(invite.interviewers), "location": invite.location, "video_link": invite.video_link})
    except Conflict as exc:
        if "clashing_interview_id" not in exc.extra:
            raise
        raise SlotTaken("That time was just taken.") from exc  # the exclusion constraint decided: the other won
    invite.booked(interview.id, ctx.actor)
    return interview
