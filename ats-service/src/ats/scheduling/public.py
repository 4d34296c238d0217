"""`/public/interviews/{token}`: the candidate's page to pick an interview time (no login; the signed link is the
credential). Each booking runs in its own unit of work, so a lost race rolls back whole before the page says so."""
from __future__ import annotations

import uuid
from datetime import datetime
from itertools import groupby
from string import Template
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from talentkit.auth import Principal, RequestContext
from talentkit.clock import clock_of
from talentkit.errors import Conflict, NotFound
from talentkit.tokens import TokenExpired, TokenInvalid

from ats.interviews import service as interviews
from ats.public import pages, security
from ats.public.pages import esc
from ats.scheduling import service
from ats.scheduling.models import InviteStatus, SchedulingInvite

router = APIRouter(include_in_schema=False)
ACTOR = "candidate-self-scheduling"

PICK = Template("""<h1>Choose a time for your interview</h1>
$notice
<p>Each interview lasts $minutes minutes. Times are shown in $zone.</p>
<form method="post" action="$action">
<input type="hidden" name="csrf_token" value="$csrf">
$days
<button type="submit">Book this time</button>
</form>""")
DAY = Template("""<fieldset><legend>$day</legend>
$options
</fieldset>""")
OPTION = Template("""<div><input type="radio" name="slot" id="slot-$n" value="$value"$checked>
<label for="slot-$n">$label</label></div>""")
BOOKED = Template("""<h1>Your interview is booked</h1>
<p role="status">$when ($zone), $minutes minutes.$where</p>
<p>An invitation for your calendar is on its way to your inbox.</p>""")


def _ctx(request: Request) -> RequestContext:
    return RequestContext(principal=Principal(id=ACTOR, scopes=frozenset()),
                          request_id=getattr(request.state, "request_id", None))


def _when(at: datetime, zone: str) -> str:
    return f"{at.astimezone(ZoneInfo(zone)):%A %d %B %Y, %H:%M}"


def _invite_id(request: Request, token: str) -> uuid.UUID | Response:
    """The invite a genuine, unexpired link names, or the error page."""
    try:
        data = security.signer(request).verify(service.PURPOSE, token, now=clock_of(request.app).now())
        return uuid.UUID(str(data.get("i")))
    except TokenExpired:
        return pages.error(request, "This link has expired", "Please ask your recruiter for a new link.", 410)
    except (TokenInvalid, ValueError):
        return _not_found(request)


def _not_found(request: Request) -> Response:
    return pages.error(request, "Link not found", "This link is invalid or no longer works.", 404)


async def _page(request: Request, token: str, invite_id: uuid.UUID, *, status: int = 200, notice: str = "") -> Response:
    """The invite as it stands: the times to pick from, the booking made, or why there is nothing to pick."""
    async with request.app.state.uow_factory(_ctx(request)) as uow:
        try:
            invite = await service.get_invite(uow=uow, invite_id=invite_id)
        except NotFound:
            return _not_found(request)
        if invite.status == InviteStatus.CANCELLED:
            return pages.error(request, "This link was withdrawn", "Please contact your recruiter.", 410)
        if invite.status == InviteStatus.BOOKED and invite.interview_id:
            interview = await interviews.get(uow=uow, interview_id=invite.interview_id)
            return _booked(request, invite, interview.starts_at)
        offered = await service.offered_slots(uow=uow, invite=invite, now=clock_of(request.app).now())
        if not offered:
            return pages.error(request, "No times left", "There are no free times left in this window. Please "
                               "contact your recruiter.", 409 if status == 200 else status)
        zone = ZoneInfo(invite.timezone)
        days, n = [], 0
        for day, group in groupby(offered, key=lambda s: s[0].astimezone(zone).date()):
            options = []
            for start, end in group:
                options.append(OPTION.substitute(
                    n=n, value=esc(start.isoformat()), checked=" checked" if n == 0 else "",
                    label=esc(f"{start.astimezone(zone):%H:%M} – {end.astimezone(zone):%H:%M}")))
                n += 1
            days.append(DAY.substitute(day=esc(f"{day:%A %d %B %Y}"), options="\n".join(options)))
        csrf, fresh = security.form_token(request)
        return pages.respond(request, "Choose a time for your interview", PICK.substitute(
            notice=notice, minutes=invite.duration_minutes, zone=esc(invite.timezone),
            action=f"/public/interviews/{esc(token)}", csrf=esc(csrf), days="\n".join(days)), status, nonce=fresh)


def _booked(request: Request, invite: SchedulingInvite, starts_at: datetime) -> Response:
    where = f" Location: {esc(invite.location)}." if invite.location else ""
    where += f" Video link: {esc(invite.video_link)}." if invite.video_link else ""
    return pages.respond(request, "Your interview is booked", BOOKED.substitute(
        when=esc(_when(starts_at, invite.timezone)), zone=esc(invite.timezone), minutes=invite.duration_minutes,
        where=where))


@router.get("/public/interviews/{token}")
async def pick_page(token: str, request: Request) -> Response:
    found = _invite_id(request, token)
    return found if isinstance(found, Response) else await _page(request, token, found)


@router.post("/public/interviews/{token}")
async def pick_submit(token: str, request: Request) -> Response:
    if (refused := await pages.guard_post(request)) is not None:
        return refused
    found = _invite_id(request, token)
    if isinstance(found, Response):
        return found
    raw = (await request.form()).get("slot")
    try:
        starts_at = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        starts_at = None
    if starts_at is None or starts_at.tzinfo is None:
        return await _page(request, token, found, status=422,
                           notice='<p class="alert" role="alert">Please choose one of the times below.</p>')
    try:
        async with request.app.state.uow_factory(_ctx(request)) as uow:
            interview = await service.book(uow=uow, invite_id=found, starts_at=starts_at,
                                           now=clock_of(request.app).now(), ctx=_ctx(request))
            await uow.commit()
            return _booked(request, await service.get_invite(uow=uow, invite_id=found), interview.starts_at)
    except service.SlotTaken:
        return await _page(request, token, found, status=409, notice=(
            '<p class="alert" role="alert">Sorry, that time was just taken. Please choose another.</p>'))
    except (Conflict, NotFound):  # booked meanwhile (a double click), or withdrawn: show how it stands
        return await _page(request, token, found)
