"""`/careers/self-identification/{token}`: the voluntary EEO step after an application through the careers site
(no login: the signed, expiring link, bound to the application, is the credential). The answers are stored through
the EEO service, apart from the application; declining or skipping changes nothing."""
from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from talentkit.auth import Principal, RequestContext
from talentkit.clock import clock_of
from talentkit.errors import Conflict, Unprocessable
from talentkit.tokens import TokenExpired, TokenInvalid

from ats.eeo import pages, service
from ats.public import pages as public
from ats.public import security

router = APIRouter(include_in_schema=False)
ACTOR = "careers-site"
PURPOSE = "eeo-self-identification"
LIFETIME = timedelta(days=14)  # long enough to come back to it; the link is no credential for anything else
PATH = "/careers/self-identification/"
RECORDED = "Your answers are recorded, apart from your application."


def _ctx(request: Request) -> RequestContext:
    return RequestContext(principal=Principal(id=ACTOR, scopes=frozenset()),
                          request_id=getattr(request.state, "request_id", None))


def link(request: Request, application_id: uuid.UUID) -> str:
    """The page's address for one application (relative: the candidate is on the careers site already)."""
    token = security.signer(request).sign(PURPOSE, {"a": str(application_id)}, lifetime=LIFETIME,
                                          now=clock_of(request.app).now())
    return PATH + token


def _application_id(request: Request, token: str) -> uuid.UUID | Response:
    """The application a genuine, unexpired link names, or the error page."""
    try:
        return uuid.UUID(str(security.signer(request).verify(PURPOSE, token, now=clock_of(request.app).now()).get("a")))
    except TokenExpired:
        return public.error(request, "This link has expired", "The voluntary questions can no longer be answered "
                            "from this link. Your application is not affected.", 410)
    except (TokenInvalid, ValueError):
        return public.error(request, "Link not found", "This link is invalid or no longer works.", 404)


def _form(request: Request, token: str, values: dict[str, str], errors: dict[str, str], status: int = 200) -> Response:
    csrf, fresh = security.form_token(request)
    title = f"{'Error: ' if errors else ''}Voluntary self-identification"
    return public.respond(request, title, pages.form(PATH + token, csrf, values, errors), status, nonce=fresh)


@router.get(PATH + "{token}")
async def self_identification_page(token: str, request: Request) -> Response:
    found = _application_id(request, token)
    if isinstance(found, Response):
        return found
    async with request.app.state.uow_factory(_ctx(request)) as uow:
        if await service.answered(uow=uow, application_id=found):
            return public.respond(request, "Thank you", pages.done(RECORDED))
    return _form(request, token, {}, {})


@router.post(PATH + "{token}")
async def self_identification_submit(token: str, request: Request) -> Response:
    if (refused := await public.guard_post(request)) is not None:
        return refused
    found = _application_id(request, token)
    if isinstance(found, Response):
        return found
    form = await request.form()
    values = {name: form.get(name) for name, _, _ in pages.QUESTIONS}
    allowed = {name: {pages.DECLINE[0], *(v for v, _ in options)} for name, _, options in pages.QUESTIONS}
    errors = {name: "Choose one of the answers (or “I do not wish to answer”)." for name, value in values.items()
              if value is not None and value not in allowed[name]}
    if errors:
        kept = {name: value for name, value in values.items() if name not in errors and isinstance(value, str)}
        return _form(request, token, kept, errors, 422)
    answers = {name: value for name, value in values.items() if value and value != pages.DECLINE[0]}
    try:
        async with request.app.state.uow_factory(_ctx(request)) as uow:
            await service.submit(uow=uow, application_id=found, answers=answers, ctx=_ctx(request))
            await uow.commit()
    except Conflict:  # answered before (a second tab, a double click): the first answers stand
        return public.respond(request, "Thank you", pages.done(RECORDED))
    except Unprocessable:  # the application is gone (erased)
        return public.error(request, "Link not found", "This link is invalid or no longer works.", 404)
    return public.respond(request, "Thank you", pages.done("Thank you for answering. " + RECORDED))
