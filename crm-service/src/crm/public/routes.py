"""`/public/...`: server-rendered pages without login (talent-community sign-up, unsubscribe, consent renewal),
each form guarded by a double-submit CSRF token and the POSTs by a per-IP rate limit; and
`GET /v1/prospects/{id}/public-links` for recruiters."""
from __future__ import annotations

import os
import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import Principal, RequestContext, require
from talentkit.db import UoW

from crm.consent.models import Channel
from crm.engagement.config import engagement_settings
from crm.prospects.schemas import ProspectCreate
from crm.public import pages, security
from crm.public import service as public
from crm.public.pages import esc
from crm.public.schemas import PublicLinks
from crm.sending.scheduler import sending_settings
from crm.sequences.clock import clock_of
from crm.signing import Purpose, Signer, TokenExpired, TokenInvalid
from crm.tracking.service import page_visit

router = APIRouter(include_in_schema=False)
api_router = APIRouter(tags=["Prospects"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
P = PROBLEM_ANSWER
PUBLIC_ACTOR = "public-pages"
MAX_FORM_BYTES = 20_000
HEADERS = {
    "Cache-Control": "no-store, no-cache, must-revalidate, private", "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",  # the URLs carry the prospect's token
    "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
}


def renewal_months(request: Request) -> int:
    return sending_settings(request.app).consent_renewal_months


def _signer(request: Request) -> Signer:
    return sending_settings(request.app).signer()


def _public_rate_limit() -> int:
    return int(os.environ.get("CRM_PUBLIC_RATE_LIMIT_PER_MINUTE", "20"))


def _ctx(request: Request) -> RequestContext:
    return RequestContext(principal=Principal(id=PUBLIC_ACTOR, scopes=frozenset()),
                          request_id=getattr(request.state, "request_id", None))


def _now(request: Request) -> datetime:
    return clock_of(request.app).now()


def _html(request: Request, body: str, status: int = 200, *, nonce: str | None = None,
          extra: dict[str, str] | None = None) -> HTMLResponse:
    resp = HTMLResponse(body, status_code=status, headers={**HEADERS, **(extra or {})})
    if nonce is not None:
        resp.set_cookie(security.CSRF_COOKIE, nonce, httponly=True, samesite="strict", path="/public",
                        secure=request.url.scheme == "https")
    return resp


def _form_csrf(request: Request) -> tuple[str, str | None]:
    """The CSRF token for a form, and a new nonce to set when the browser has none yet."""
    nonce = request.cookies.get(security.CSRF_COOKIE)
    fresh = None
    if not nonce or len(nonce) > 200:
        nonce = fresh = security.new_nonce()
    return security.csrf_token(_signer(request), nonce, _now(request)), fresh


def _render(request: Request, status: int, build: Any) -> HTMLResponse:
    token, fresh = _form_csrf(request)
    return _html(request, build(token), status, nonce=fresh)


async def _guarded_form(request: Request) -> dict[str, str] | HTMLResponse:
    """The POSTed form, or the error page: 429 (rate limit), 415/413, 403 (CSRF)."""
    client = request.client.host if request.client else "unknown"
    wait = await security.rate_limited(request.app.state.rate_limiter, client, _public_rate_limit())
    if wait is not None:
        return _html(request, pages.error("Too many requests", "Please wait a minute and try again."), 429,
                     extra={"Retry-After": str(wait)})
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return _html(request, pages.error("Unsupported form", "Please submit the form from the page."), 415)
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        return _html(request, pages.error("Form too large", "Please shorten your answers."), 413)
    try:
        form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=50))
    except (UnicodeDecodeError, ValueError):
        return _html(request, pages.error("Invalid form", "Please submit the form from the page."), 400)
    if not security.csrf_ok(_signer(request), request.cookies.get(security.CSRF_COOKIE), form.get("csrf_token"),
                            _now(request)):
        return _html(request, pages.error("Form expired", "This form has expired or was not sent from our page. "
                                                          "Please go back, reload the page and try again."), 403)
    return {k: v.replace("\x00", "") for k, v in form.items()}


def _not_found(request: Request) -> HTMLResponse:
    return _html(request, pages.error("Link not found", "This link is invalid or no longer works."), 404)


def _expired(request: Request, what: str, again: str) -> HTMLResponse:
    return _html(request, pages.expired(what, again), 410)


async def _prospect_of(request: Request, uow: Any, token: str, purpose: Purpose) -> uuid.UUID | HTMLResponse:
    """The live prospect a prospect token of `purpose` names, or the page to answer instead: 404 for a token that
    is not ours (or names nobody any more), 410 for an expired one."""
    try:
        p = _signer(request).verify(purpose, token, now=_now(request))
    except TokenExpired:
        return _expired(request, "link", "Ask the recruiting team for a new one, or use the link in a recent email.")
    except TokenInvalid:
        return _not_found(request)
    prospect = await public.live_prospect(uow=uow, prospect_id=p.get("p"))
    return prospect.id if prospect else _not_found(request)


# --- talent community ---------------------------------------------------------------------------------------------

def _split(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _validate(form: dict[str, str]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    errors: dict[str, str] = {}
    for name, label in (("first_name", "first name"), ("last_name", "last name"), ("email", "email address")):
        if not form.get(name, "").strip():
            errors[name] = f"Enter your {label}."
    interests, skills = _split(form.get("interests", "")), _split(form.get("skills", ""))
    if not form.get("consent"):
        errors["consent"] = "Tick the box to agree, so that we may email you."
    elif form.get("consent_version") not in (None, pages.CONSENT_TEXT_VERSION):
        errors["consent"] = "The consent text has changed: please read it again and tick the box."
    values = {"first_name": form.get("first_name", ""), "last_name": form.get("last_name", ""),
              "emails": [form.get("email", "").strip()], "tags": interests, "skills": skills}
    try:
        model = ProspectCreate.model_validate(values)
    except ValidationError as exc:
        names = {"emails": "email", "tags": "interests", "skills": "skills"}
        for e in exc.errors():
            name = names.get(str(e["loc"][0]), str(e["loc"][0]))
            if name in errors:
                continue
            if name == "email":
                errors[name] = "Enter a valid email address, like name@example.com."
            elif name in ("interests", "skills"):
                errors[name] = "Use up to 50 entries of at most 50 characters each, separated by commas."
            elif name in ("first_name", "last_name"):
                errors[name] = "Use at most 100 characters."
            else:
                errors[name] = str(e["msg"])
        return None, errors
    if errors:
        return None, errors
    return model.model_dump(exclude_none=True, exclude={"source"}), errors


@router.get("/public/talent-community")
async def signup_form(request: Request) -> Response:
    return _render(request, 200, lambda csrf: pages.signup(csrf, {}, {}))


@router.post("/public/talent-community")
async def signup_submit(request: Request, uow: UoW) -> Response:
    form = await _guarded_form(request)
    if isinstance(form, Response):
        return form
    values, errors = _validate(form)
    if values is None:
        return _render(request, 422, lambda csrf: pages.signup(csrf, form, errors))
    await public.sign_up(uow=uow, values=values, ctx=_ctx(request), now=_now(request))
    return _html(request, pages.page("Thank you", pages.THANKS.substitute(
        first_name=esc(values["first_name"]), consent_version=esc(pages.CONSENT_TEXT_VERSION))))


# --- unsubscribe ---------------------------------------------------------------------------------------------------

CHANNEL_LABELS = {"email": "email", "sms": "text messages (SMS)"}


@router.get("/public/unsubscribe/{token}")
async def unsubscribe_page(token: str, request: Request, uow: UoW) -> Response:
    pid = await _prospect_of(request, uow, token, Purpose.PUBLIC_UNSUBSCRIBE)
    if isinstance(pid, Response):
        return pid
    status = await public.channel_status(uow=uow, prospect_id=pid)
    action = f"/public/unsubscribe/{esc(token)}"

    def build(csrf: str) -> str:
        rows = "\n".join(pages.UNSUB_ROW.substitute(
            label=esc(CHANNEL_LABELS[ch]), channel=esc(ch), action=action, csrf=esc(csrf),
            status="unsubscribed" if "unsubscribed" in status[ch]["suppressions"] else "subscribed")
            for ch in ("email", "sms"))
        return pages.page("Unsubscribe", pages.UNSUBSCRIBE.substitute(rows=rows, action=action, csrf=esc(csrf)))
    return _render(request, 200, build)


@router.post("/public/unsubscribe/{token}")
async def unsubscribe_submit(token: str, request: Request, uow: UoW) -> Response:
    form = await _guarded_form(request)
    if isinstance(form, Response):
        return form
    pid = await _prospect_of(request, uow, token, Purpose.PUBLIC_UNSUBSCRIBE)
    if isinstance(pid, Response):
        return pid
    choice = form.get("channel", "")
    channels = [str(c) for c in Channel] if choice == "all" else [choice] if choice in {str(c) for c in Channel} else None
    if channels is None:
        return _html(request, pages.error("Choose a channel", "Please go back and press one of the buttons."), 422)
    await public.unsubscribe(uow=uow, prospect_id=pid, channels=channels, ctx=_ctx(request), now=_now(request))
    return _html(request, pages.page("Unsubscribed", pages.UNSUBSCRIBED.substitute(
        channels=esc(" or ".join(CHANNEL_LABELS[c] for c in channels)))))


# --- consent renewal -----------------------------------------------------------------------------------------------

def _expiry_text(expires_at: datetime | None, now: datetime) -> str:
    if expires_at is None:
        return "It has no expiry date."
    verb = "expired" if expires_at <= now else "expires"
    return f"It {verb} on {expires_at:%d %B %Y}."


@router.get("/public/consent/{token}")
async def consent_page(token: str, request: Request, uow: UoW) -> Response:
    pid = await _prospect_of(request, uow, token, Purpose.PUBLIC_CONSENT)
    if isinstance(pid, Response):
        return pid
    # A visit of the person's own page is engagement: it lands on the timeline and in the score.
    await page_visit(uow=uow, prospect_id=pid, url=str(request.url.path).rsplit("/", 1)[0], at=None,
                     ctx=RequestContext(principal=Principal("public", frozenset())), now=_now(request),
                     settings=engagement_settings(request.app))
    email = (await public.channel_status(uow=uow, prospect_id=pid))["email"]
    action = f"/public/consent/{esc(token)}"
    return _render(request, 200, lambda csrf: pages.page("Your consent", pages.CONSENT.substitute(
        text_version=esc(email.get("text_version") or pages.CONSENT_TEXT_VERSION), consent_text=esc(pages.CONSENT_TEXT),
        status=esc(email["status"]), expiry=esc(_expiry_text(email.get("expires_at"), _now(request))),
        action=action, csrf=esc(csrf), months=renewal_months(request))))


@router.post("/public/consent/{token}")
async def consent_submit(token: str, request: Request, uow: UoW) -> Response:
    form = await _guarded_form(request)
    if isinstance(form, Response):
        return form
    pid = await _prospect_of(request, uow, token, Purpose.PUBLIC_CONSENT)
    if isinstance(pid, Response):
        return pid
    now = _now(request)
    if form.get("action") == "renew":
        out = await public.renew(uow=uow, prospect_id=pid, ctx=_ctx(request), now=now, months=renewal_months(request))
        heading, message = "Consent renewed", f"Thank you. {_expiry_text(out.get('expires_at'), now)}"
    elif form.get("action") == "withdraw":
        await public.withdraw(uow=uow, prospect_id=pid, ctx=_ctx(request), now=now)
        heading, message = "Consent withdrawn", "We will no longer email you on the basis of your consent."
    else:
        return _html(request, pages.error("Choose an action", "Please go back and press one of the buttons."), 422)
    return _html(request, pages.page(heading, pages.CONSENT_DONE.substitute(heading=esc(heading), message=esc(message))))


# --- double opt-in confirmation ----------------------------------------------------------------------------------

async def _confirmation(request: Request, uow: Any, token: str) -> Any:
    """The sign-up a confirmation token names, or the page to answer instead (404 not ours, 410 expired)."""
    try:
        data = _signer(request).verify(Purpose.CONFIRM_CONSENT, token, now=_now(request))
    except TokenExpired:
        return _expired(request, "confirmation link", "Please sign up again to get a new one.")
    except TokenInvalid:
        return _not_found(request)
    found = await public.confirmation(uow=uow, request_id=data.get("r"))
    return found if found is not None else _not_found(request)


@router.get("/public/confirm/{token}")
async def confirm_page(token: str, request: Request, uow: UoW) -> Response:
    found = await _confirmation(request, uow, token)
    if isinstance(found, Response):
        return found
    action, words = f"/public/confirm/{esc(token)}", pages.confirmation_of(found.purpose)
    return _render(request, 200, lambda csrf: pages.page(words.title, pages.CONFIRM.substitute(
        title=esc(words.title), asks=esc(words.asks), text_version=esc(found.text_version),
        consent_text=esc(words.consent_text), action=action, csrf=esc(csrf), button=esc(words.button))))


@router.post("/public/confirm/{token}")
async def confirm_submit(token: str, request: Request, uow: UoW) -> Response:
    form = await _guarded_form(request)
    if isinstance(form, Response):
        return form
    found = await _confirmation(request, uow, token)
    if isinstance(found, Response):
        return found
    out = await public.confirm(uow=uow, request=found, ctx=_ctx(request), now=_now(request), months=renewal_months(request))
    words = pages.confirmation_of(found.purpose)
    return _html(request, pages.page(words.done, pages.CONFIRMED.substitute(
        title=esc(words.done), text_version=esc(found.text_version), expires=esc(f"{out['expires_at']:%d %B %Y}"),
        withdraw=esc(words.withdraw))))


# --- for recruiters ------------------------------------------------------------------------------------------------

@api_router.get("/v1/prospects/{id}/public-links", response_model=PublicLinks, summary="Public links of a prospect",
                responses={404: {"description": "No such prospect.", **P}})
async def public_links(id: uuid.UUID, request: Request, ctx: Reader, uow: UoW) -> Response:
    """The prospect's unsubscribe page and consent renewal page (signed, no login needed, valid 90 days), to send
    to them. A merged prospect's links are the survivor's; an erased prospect has none (404)."""
    links = await public.links(uow=uow, prospect_id=id, settings=sending_settings(request.app), now=_now(request))
    return JSONResponse(PublicLinks.model_validate(links).model_dump(mode="json"))
