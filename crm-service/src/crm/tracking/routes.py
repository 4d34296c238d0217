"""Public tracking endpoints (`/t/...`, no API key: the HMAC-signed token is the credential), the reply webhook
and page visits."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import (
    AliasChoices,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)
from pydantic.functional_validators import AfterValidator
from starlette.convertors import Convertor, register_url_convertor
from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.idempotency import IdempotencyGuard

from crm.engagement.config import engagement_settings
from crm.public import pages
from crm.sending.scheduler import sending_settings
from crm.sequences.clock import clock_of
from crm.signing import Signer, TokenExpired
from crm.tracking import service


class _AnyText(Convertor[str]):
    """Any characters at all (newlines and slashes included): the open pixel answers its GIF whatever the path."""

    regex = r"[\s\S]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("pixel_token", _AnyText())
router = APIRouter(tags=["Tracking"])
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = {"content": {"application/problem+json": {}}}
PUBLIC = {"security": []}
NO_STORE = {"Cache-Control": "no-store, no-cache, must-revalidate, private", "Pragma": "no-cache"}
GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
       b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
_HTTP_URL = TypeAdapter(AnyHttpUrl)
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
                AfterValidator(lambda v: (_HTTP_URL.validate_python(v), v)[1])]
Short = Annotated[str, StringConstraints(max_length=1000)]


def _signer(request: Request) -> Signer:
    return sending_settings(request.app).signer()


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={**NO_STORE, "Referrer-Policy": "no-referrer",
                                                           "X-Content-Type-Options": "nosniff"})


def _expired(what: str) -> HTMLResponse:
    return _page(pages.expired(what, "Use the link in a more recent email from us."), 410)


@router.get("/t/o/{token:pixel_token}.gif", summary="Open pixel", openapi_extra=PUBLIC,
            responses={200: {"content": {"image/gif": {}}, "description": "A transparent 1×1 GIF."}})
async def open_pixel(token: str, request: Request, session: Session) -> Response:
    """Loaded by the recipient's mail client. The first load of a message records `message_opened` and emits
    `crm.message.opened.v1`; later loads are counted. Always answers the GIF (nothing is recorded for a token
    this service did not sign, or one older than a year)."""
    await service.open_pixel(session, _signer(request), token, clock_of(request.app).now(), engagement_settings(request.app))
    return Response(GIF, media_type="image/gif", headers=NO_STORE)


@router.get("/t/c/{token}", summary="Tracked link", status_code=302, openapi_extra=PUBLIC,
            responses={302: {"description": "To the link's original URL."},
                       404: {"description": "The token is not signed by this service, or names no link of the message.", **P},
                       410: {"description": "A genuine link older than a year: an HTML page says so.",
                             "content": {"text/html": {}}}})
async def click(token: str, request: Request, session: Session) -> Response:
    """Redirects (302) to a link the sequence author wrote in a sent email (the token names the link's index in
    the message's `links`, recorded when it was sent) and records `message_clicked` (`crm.message.clicked.v1`).
    Never redirects anywhere else: a forged or altered token is a 404."""
    try:
        url = await service.click(session, _signer(request), token, clock_of(request.app).now(),
                                  engagement_settings(request.app))
    except TokenExpired:
        return _expired("link")
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


UNSUB_DOC: dict[str, Any] = {"openapi_extra": PUBLIC, "responses": {
    404: {"description": "The token is not signed by this service.", **P},
    410: {"description": "A genuine link older than a year: an HTML page says so.", "content": {"text/html": {}}}}}


@router.get("/t/u/{token}", summary="Unsubscribe page (link)", operation_id="unsubscribe_link",
            response_class=HTMLResponse, **UNSUB_DOC)
async def unsubscribe_page(token: str, request: Request, session: Session) -> Response:
    """The footer link of every email: a page asking to confirm, with a button that POSTs here. Following the link
    changes nothing (mail security scanners follow every link)."""
    try:
        _, left = await service.unsubscribe_target(session, _signer(request), token, clock_of(request.app).now())
    except TokenExpired:
        return _expired("unsubscribe link")
    action = pages.esc(request.url.path)
    if left:
        body = pages.MAIL_UNSUBSCRIBE.substitute(status="You are already unsubscribed from our emails.", action=action,
                                                 button="Unsubscribe again")
    else:
        body = pages.MAIL_UNSUBSCRIBE.substitute(status="Do you want to stop receiving emails from us?", action=action,
                                                 button="Unsubscribe from emails")
    return _page(pages.page("Unsubscribe", body))


@router.post("/t/u/{token}", summary="One-click unsubscribe (RFC 8058)", operation_id="unsubscribe_one_click", **UNSUB_DOC)
async def unsubscribe(token: str, request: Request, session: Session) -> Response:
    """The `List-Unsubscribe` target: RFC 8058 one-click `POST` (`List-Unsubscribe=One-Click`, sent by the mail
    provider) or the button of the page. Adds the `unsubscribed` email suppression and exits every running
    enrollment with reason `unsubscribed`; repeating it is harmless. Answers JSON, or a page to a browser
    (`Accept: text/html`)."""
    try:
        out = await service.unsubscribe(session, _signer(request), token, clock_of(request.app).now())
    except TokenExpired:
        return _expired("unsubscribe link")
    if "text/html" in request.headers.get("accept", ""):
        return _page(pages.page("Unsubscribed", pages.UNSUBSCRIBED.substitute(channels="email")))
    return JSONResponse({**out, "prospect_id": str(out["prospect_id"])}, headers=NO_STORE)


class InboundEmail(BaseModel):
    """An email received for the CRM's mailboxes, as the mail gateway parsed it. Give `in_reply_to` (the
    `In-Reply-To` header), or `message_id` (the CRM message id, or the Message-ID of the email answered)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    message_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] | None = None
    in_reply_to: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] | None = None
    from_address: Short | None = Field(None, validation_alias=AliasChoices("from", "from_address"),
                                       serialization_alias="from", description="The `From` of the reply.")
    subject: Short | None = None
    headers: dict[Annotated[str, StringConstraints(max_length=200)], Annotated[str, StringConstraints(max_length=4000)]] = Field(
        default_factory=dict, max_length=200, description="e.g. `{\"Auto-Submitted\": \"auto-replied\"}`.")
    text: Annotated[str, StringConstraints(max_length=100_000)] | None = None

    @model_validator(mode="after")
    def _one_reference(self) -> "InboundEmail":
        if not self.message_id and not self.in_reply_to and not any(
                k.lower() in ("in-reply-to", "references") for k in self.headers):
            raise ValueError("give message_id or in_reply_to")
        return self


class InboundResult(BaseModel):
    message_id: uuid.UUID
    prospect_id: uuid.UUID
    counted: bool = Field(description="False for an auto-reply, which is recorded but does not stop the sequence.")
    auto_reply: bool


@router.post("/v1/inbound/email", response_model=InboundResult, summary="Receive a reply",
             responses={422: {"description": "No sent message matches, or a field is invalid.", **P}})
async def inbound_email(body: InboundEmail, request: Request, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """Matches the sent message by Message-ID (`message_id`, `in_reply_to`, or the `References` header). An
    auto-reply (`Auto-Submitted`, out-of-office) is recorded (`auto_reply`) and changes nothing; a real reply
    exits the prospect's enrollments (reason `replied`), appends `message_replied` and emits `crm.message.replied.v1`."""
    async def run() -> Response:
        out = await service.inbound_email(session, body.model_dump(), ctx, clock_of(request.app).now(),
                                          engagement_settings(request.app))
        return JSONResponse(InboundResult.model_validate(out).model_dump(mode="json"))
    return await idem.run(run)


class PageVisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Url
    at: datetime | None = Field(None, description="When (ISO 8601 with offset); now if left out.")

    @field_validator("at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("needs a UTC offset")
        return v


class PageVisitRead(BaseModel):
    id: uuid.UUID
    prospect_id: uuid.UUID
    kind: str
    url: str
    occurred_at: datetime


@router.post("/v1/prospects/{id}/page-visits", status_code=201, response_model=PageVisitRead, tags=["Timeline and notes"],
             summary="Record a page visit", responses={404: {"description": "No such prospect.", **P}})
async def page_visit(id: uuid.UUID, body: PageVisitIn, request: Request, ctx: Writer, session: Session,
                     idem: IdempotencyGuard) -> Response:
    """The prospect visited a page (career site, job ad): appends `page_visit` and updates the engagement score."""
    async def run() -> Response:
        out: dict[str, Any] = await service.page_visit(session, id, body.url, body.at, ctx, clock_of(request.app).now(),
                                                       engagement_settings(request.app))
        return JSONResponse(PageVisitRead.model_validate(out).model_dump(mode="json"), status_code=201)
    return await idem.run(run)
