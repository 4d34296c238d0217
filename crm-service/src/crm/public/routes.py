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
from pydantic import BaseModel, ValidationError
from talentkit.auth import Principal, RequestContext, require
from talentkit.db import Session
from talentkit.errors import NotFound

from crm.consent.models import Channel
from crm.engagement.config import engagement_settings
from crm.prospects.schemas import ProspectCreate
from crm.public import pages, security
from crm.public import service as public
from crm.public.pages import esc
from crm.sending.scheduler import sending_settings
from crm.sequences.clock import clock_of
from crm.tracking.service import page_visit

router = APIRouter(include_in_schema=False)
api_router = APIRouter(tags=["Prospects"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
P = {"content": {"application/problem+json": {}}}
PUBLIC_ACTOR = "public-pages"
MAX_FORM_BYTES = 20_000
HEADERS = {
    "Cache-Control": "no-store, no-cache, must-revalidate, private", "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",  # the URLs carry the prospect's token
    "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
}


def renewal_months() -> int:
    return int(os.environ.get("CRM_CONSENT_RENEWAL_MONTHS", "24"))


def _secret(request: Request) -> str:
    return sending_settings(request.app).tracking_secret.get_secret_value()


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
    return security.csrf_token(_secret(request), nonce), fresh


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
    if not security.csrf_ok(_secret(request), request.cookies.get(security.CSRF_COOKIE), form.get("csrf_token")):
        return _html(request, pages.error("Form expired", "This form has expired or was not sent from our page. "
                                                          "Please go back, reload the page and try again."), 403)
    return {k: v.replace("\x00", "") for k, v in form.items()}


def _not_found(request: Request) -> HTMLResponse:
    return _html(request, pages.error("Link not found", "This link is invalid or no longer works."), 404)


async def _prospect_of(request: Request, session: Any, token: str, kinds: tuple[str, ...]) -> uuid.UUID | None:
    """The live prospect a token names: a prospect-scoped token of `kinds`, or (for unsubscribing) the
    message-scoped one-click token of the sending module."""
    p = security.token_payload(_secret(request), token)
    if p is None or p["k"] not in kinds:
        return None
    if p["k"] == "u":  # a message's unsubscribe token: the message must be that prospect's
        from crm.sending import inbound
        try:
            msg = await inbound.get(session, uuid.UUID(str(p.get("m"))))
        except (ValueError, NotFound):
            return None
        if msg is None or str(msg.prospect_id) != p["p"]:
            return None
    prospect = await public.live_prospect(session, uuid.UUID(p["p"]))
    return prospect.id if prospect else None


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
async def signup_submit(request: Request, session: Session) -> Response:
    form = await _guarded_form(request)
    if isinstance(form, Response):
        return form
    values, errors = _validate(form)
    if values is None:
        return _render(request, 422, lambda csrf: pages.signup(csrf, form, errors))
    await public.sign_up(session, values, _ctx(request), _now(request), renewal_months())
    return _html(request, pages.page("Thank you", pages.THANKS.substitute(
        first_name=esc(values["first_name"]), consent_version=esc(pages.CONSENT_TEXT_VERSION))))


# --- unsubscribe ---------------------------------------------------------------------------------------------------

CHANNEL_LABELS = {"email": "email", "sms": "text messages (SMS)"}


@router.get("/public/unsubscribe/{token}")
async def unsubscribe_page(token: str, request: Request, session: Session) -> Response:
    pid = await _prospect_of(request, session, token, (security.UNSUBSCRIBE, "u"))
    if pid is None:
        return _not_found(request)
    status = await public.channel_status(session, pid)
    action = f"/public/unsubscribe/{esc(token)}"

    def build(csrf: str) -> str:
        rows = "\n".join(pages.UNSUB_ROW.substitute(
            label=esc(CHANNEL_LABELS[ch]), channel=esc(ch), action=action, csrf=esc(csrf),
            status="unsubscribed" if "unsubscribed" in status[ch]["suppressions"] else "subscribed")
            for ch in ("email", "sms"))
        return pages.page("Unsubscribe", pages.UNSUBSCRIBE.substitute(rows=rows, action=action, csrf=esc(csrf)))
    return _render(request, 200, build)


@router.post("/public/unsubscribe/{token}")
async def unsubscribe_submit(token: str, request: Request, session: Session) -> Response:
    form = await _guarded_form(request)
    if isinstance(form, Response):
        return form
    pid = await _prospect_of(request, session, token, (security.UNSUBSCRIBE, "u"))
    if pid is None:
        return _not_found(request)
    choice = form.get("channel", "")
    channels = [str(c) for c in Channel] if choice == "all" else [choice] if choice in {str(c) for c in Channel} else None
    if channels is None:
        return _html(request, pages.error("Choose a channel", "Please go back and press one of the buttons."), 422)
    await public.unsubscribe(session, pid, channels, _ctx(request), _now(request))
    return _html(request, pages.page("Unsubscribed", pages.UNSUBSCRIBED.substitute(
        channels=esc(" or ".join(CHANNEL_LABELS[c] for c in channels)))))


# --- consent renewal -----------------------------------------------------------------------------------------------

def _expiry_text(expires_at: datetime | None, now: datetime) -> str:
    if expires_at is None:
        return "It has no expiry date."
    verb = "expired" if expires_at <= now else "expires"
    return f"It {verb} on {expires_at:%d %B %Y}."


@router.get("/public/consent/{token}")
async def consent_page(token: str, request: Request, session: Session) -> Response:
    pid = await _prospect_of(request, session, token, (security.CONSENT,))
    if pid is None:
        return _not_found(request)
    # A visit of the person's own page is engagement: it lands on the timeline and in the score.
    await page_visit(session, pid, str(request.url.path).rsplit("/", 1)[0], None,
                     RequestContext(principal=Principal("public", frozenset())), _now(request),
                     engagement_settings(request.app))
    email = (await public.channel_status(session, pid))["email"]
    action = f"/public/consent/{esc(token)}"
    return _render(request, 200, lambda csrf: pages.page("Your consent", pages.CONSENT.substitute(
        text_version=esc(email.get("text_version") or pages.CONSENT_TEXT_VERSION), consent_text=esc(pages.CONSENT_TEXT),
        status=esc(email["status"]), expiry=esc(_expiry_text(email.get("expires_at"), _now(request))),
        action=action, csrf=esc(csrf), months=renewal_months())))


@router.post("/public/consent/{token}")
async def consent_submit(token: str, request: Request, session: Session) -> Response:
    form = await _guarded_form(request)
    if isinstance(form, Response):
        return form
    pid = await _prospect_of(request, session, token, (security.CONSENT,))
    if pid is None:
        return _not_found(request)
    now = _now(request)
    if form.get("action") == "renew":
        out = await public.renew(session, pid, _ctx(request), now, renewal_months())
        heading, message = "Consent renewed", f"Thank you. {_expiry_text(out.get('expires_at'), now)}"
    elif form.get("action") == "withdraw":
        await public.withdraw(session, pid, _ctx(request), now)
        heading, message = "Consent withdrawn", "We will no longer email you on the basis of your consent."
    else:
        return _html(request, pages.error("Choose an action", "Please go back and press one of the buttons."), 422)
    return _html(request, pages.page(heading, pages.CONSENT_DONE.substitute(heading=esc(heading), message=esc(message))))


# --- for recruiters ------------------------------------------------------------------------------------------------

class PublicLinks(BaseModel):
    prospect_id: uuid.UUID
    unsubscribe_url: str
    consent_url: str


@api_router.get("/v1/prospects/{id}/public-links", response_model=PublicLinks, summary="Public links of a prospect",
                responses={404: {"description": "No such prospect.", **P}})
async def public_links(id: uuid.UUID, request: Request, ctx: Reader, session: Session) -> Response:
    """The prospect's unsubscribe page and consent renewal page (signed, no login needed), to send to them."""
    prospect = await public.live_prospect(session, id)
    if prospect is None:
        raise NotFound(f"No prospect with id {id}.")
    settings, secret = sending_settings(request.app), _secret(request)
    base = settings.public_base_url.rstrip("/")
    return JSONResponse(PublicLinks(
        prospect_id=prospect.id,
        unsubscribe_url=f"{base}/public/unsubscribe/{security.prospect_token(secret, security.UNSUBSCRIBE, prospect.id)}",
        consent_url=f"{base}/public/consent/{security.prospect_token(secret, security.CONSENT, prospect.id)}",
    ).model_dump(mode="json"))
