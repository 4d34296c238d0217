"""Public tracking endpoints (`/t/...`, no API key: the HMAC-signed token is the credential), the reply webhook
and page visits."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.convertors import Convertor, register_url_convertor
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard

from crm.engagement.config import engagement_settings
from crm.public import pages
from crm.sending.scheduler import sending_settings
from crm.sequences.clock import clock_of
from crm.signing import Signer, TokenExpired
from crm.tracking import service
from crm.tracking.schemas import InboundEmail, InboundResult, PageVisitIn, PageVisitRead


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
P = PROBLEM_ANSWER
PUBLIC: dict[str, Any] = {"security": []}
NO_STORE = {"Cache-Control": "no-store, no-cache, must-revalidate, private", "Pragma": "no-cache"}
GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
       b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def _signer(request: Request) -> Signer:
    return sending_settings(request.app).signer()


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={**NO_STORE, "Referrer-Policy": "no-referrer",
                                                           "X-Content-Type-Options": "nosniff"})


def _expired(what: str) -> HTMLResponse:
    return _page(pages.expired(what, "Use the link in a more recent email from us."), 410)


@router.get("/t/o/{token:pixel_token}.gif", summary="Open pixel", openapi_extra=PUBLIC,
            responses={200: {"content": {"image/gif": {}}, "description": "A transparent 1×1 GIF."}})
async def open_pixel(token: str, request: Request, uow: UoW) -> Response:
    """Loaded by the recipient's mail client. The first load of a message records `message_opened` and emits
    `crm.message.opened.v1`; later loads are counted. Always answers the GIF (nothing is recorded for a token
    this service did not sign, or one older than a year)."""
    await service.open_pixel(uow=uow, signer=_signer(request), token=token, now=clock_of(request.app).now(),
                              settings=engagement_settings(request.app))
    return Response(GIF, media_type="image/gif", headers=NO_STORE)


@router.get("/t/c/{token}", summary="Tracked link", status_code=302, openapi_extra=PUBLIC,
            responses={302: {"description": "To the link's original URL."},
                       404: {"description": "The token is not signed by this service, or names no link of the message.", **P},
                       410: {"description": "A genuine link older than a year: an HTML page says so.",
                             "content": {"text/html": {}}}})
async def click(token: str, request: Request, uow: UoW) -> Response:
    """Redirects (302) to a link the sequence author wrote in a sent email (the token names the link's index in
    the message's `links`, recorded when it was sent) and records `message_clicked` (`crm.message.clicked.v1`).
    Never redirects anywhere else: a forged or altered token is a 404."""
    try:
        url = await service.click(uow=uow, signer=_signer(request), token=token, now=clock_of(request.app).now(),
                                  settings=engagement_settings(request.app))
    except TokenExpired:
        return _expired("link")
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


UNSUB_DOC: dict[str, Any] = {"openapi_extra": PUBLIC, "responses": {
    404: {"description": "The token is not signed by this service.", **P},
    410: {"description": "A genuine link older than a year: an HTML page says so.", "content": {"text/html": {}}}}}


@router.get("/t/u/{token}", summary="Unsubscribe page (link)", operation_id="unsubscribe_link",
            response_class=HTMLResponse, **UNSUB_DOC)
async def unsubscribe_page(token: str, request: Request, uow: UoW) -> Response:
    """The footer link of every email: a page asking to confirm, with a button that POSTs here. Following the link
    changes nothing (mail security scanners follow every link)."""
    try:
        _, left = await service.unsubscribe_target(uow=uow, signer=_signer(request), token=token,
                                                   now=clock_of(request.app).now())
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
async def unsubscribe(token: str, request: Request, uow: UoW) -> Response:
    """The `List-Unsubscribe` target: RFC 8058 one-click `POST` (`List-Unsubscribe=One-Click`, sent by the mail
    provider) or the button of the page. Adds the `unsubscribed` email suppression and exits every running
    enrollment with reason `unsubscribed`; repeating it is harmless. Answers JSON, or a page to a browser
    (`Accept: text/html`)."""
    try:
        out = await service.unsubscribe(uow=uow, signer=_signer(request), token=token, now=clock_of(request.app).now())
    except TokenExpired:
        return _expired("unsubscribe link")
    if "text/html" in request.headers.get("accept", ""):
        return _page(pages.page("Unsubscribed", pages.UNSUBSCRIBED.substitute(channels="email")))
    return JSONResponse({**out, "prospect_id": str(out["prospect_id"])}, headers=NO_STORE)


@router.post("/v1/inbound/email", response_model=InboundResult, summary="Receive a reply",
             responses={422: {"description": "No sent message matches, or a field is invalid.", **P}})
async def inbound_email(body: InboundEmail, request: Request, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Matches the sent message by Message-ID (`message_id`, `in_reply_to`, or the `References` header). An
    auto-reply (`Auto-Submitted`, out-of-office) is recorded (`auto_reply`) and changes nothing; a real reply
    exits the prospect's enrollments (reason `reply`), appends `message_replied` and emits `crm.message.replied.v1`."""
    async def run() -> Response:
        out = await service.inbound_email(uow=uow, body=body.model_dump(), ctx=ctx, now=clock_of(request.app).now(),
                                          settings=engagement_settings(request.app))
        return JSONResponse(InboundResult.model_validate(out).model_dump(mode="json"))
    return await idem.run(run)


@router.post("/v1/prospects/{id}/page-visits", status_code=201, response_model=PageVisitRead, tags=["Timeline and notes"],
             summary="Record a page visit", responses={404: {"description": "No such prospect.", **P}})
async def page_visit(id: uuid.UUID, body: PageVisitIn, request: Request, ctx: Writer, uow: UoW,
                     idem: IdempotencyGuard) -> Response:
    """The prospect visited a page (career site, job ad): appends `page_visit` and updates the engagement score."""
    async def run() -> Response:
        out = await service.page_visit(uow=uow, prospect_id=id, url=body.url, at=body.at, ctx=ctx,
                                       now=clock_of(request.app).now(), settings=engagement_settings(request.app))
        return JSONResponse(PageVisitRead.model_validate(out).model_dump(mode="json"), status_code=201)
    return await idem.run(run)
