"""`/v1/prospects/{id}/consent`."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard

from crm.consent import service
from crm.consent.models import Channel
from crm.consent.schemas import (
    ChannelConsent,
    ConfirmationRequestIn,
    ConfirmationRequestResult,
    ConsentHistoryRead,
    ConsentPut,
    ConsentRead,
)
from crm.sending.scheduler import sending_settings
from crm.sequences.clock import clock_of

router = APIRouter(prefix="/v1/prospects/{prospect_id}/consent", tags=["Consent"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = PROBLEM_ANSWER


@router.get("", response_model=ConsentRead, summary="Get a prospect's consent",
            responses={404: {"description": "No such prospect.", **P}})
async def get_consent(prospect_id: uuid.UUID, ctx: Reader, uow: UoW) -> dict[str, Any]:
    """Consent (status, lawful basis, source, text version, expiry) and suppressions per channel. `requested`:
    asked for on the talent-community form, not granted until the person confirms by the link we emailed."""
    return await service.read(uow=uow, prospect_id=prospect_id)


@router.get("/history", response_model=list[ConsentHistoryRead], summary="A prospect's consent history",
            responses={404: {"description": "No such prospect.", **P}})
async def consent_history(prospect_id: uuid.UUID, ctx: Reader, uow: UoW) -> Any:
    """Every statement of every consent of the prospect (purpose, channel, status, basis, source, text version,
    collected and expiry times, suppressions), oldest first: the proof of what the person agreed to, and when."""
    return await service.history(uow=uow, prospect_id=prospect_id)


@router.put("/{channel}", response_model=ChannelConsent, summary="Record consent for a channel",
            responses={404: {"description": "No such prospect.", **P}, 409: {"description": "The prospect was merged.", **P},
                       410: {"description": "The prospect was erased.", **P}, 412: {"description": "Stale `If-Match`.", **P}})
async def put_consent(prospect_id: uuid.UUID, channel: Channel, body: ConsentPut, request: Request, ctx: Writer,
                      uow: UoW, if_match: Annotated[str | None, Header(
                          description="Optional: the channel's version as `\"n\"`; `\"0\"` when none was recorded.")] = None,
                      ) -> dict[str, Any]:
    """Replace the consent statement of one purpose (`purpose` in the body, default `marketing`) on the channel
    (idempotent). A grant by `consent` without `expires_at` lasts the jurisdiction's consent lifetime; the CRM
    itself asks the person to renew it before it ends. Email that may no longer be used for marketing (withdrawn,
    declined, expired, suppressed) exits the prospect's running enrollments. Emits `crm.consent.changed.v1`."""
    values = body.model_dump(mode="python", exclude={"purpose", "jurisdiction"})
    settings = sending_settings(request.app)
    return await service.put(uow=uow, prospect_id=prospect_id, channel=channel, values=values, purpose=body.purpose,
                             if_match=if_match, ctx=ctx, now=clock_of(request.app).now(),
                             months=settings.consent_months(body.jurisdiction))


@router.post("/{channel}/confirmation-requests", response_model=ConfirmationRequestResult, status_code=201,
             summary="Ask the person to confirm consent (double opt-in)",
             responses={200: {"model": ConfirmationRequestResult,
                              "description": "Nothing to do: the consent is granted (unexpired) or withdrawn, or a "
                                             "confirmation mail went out minutes ago; `reason` says which."},
                        201: {"description": "The consent is `requested` and a confirmation mail is queued."},
                        404: {"description": "No such prospect.", **P},
                        409: {"description": "The prospect was merged (`merged_into_id`).", **P},
                        410: {"description": "The prospect was erased.", **P},
                        422: {"description": "Not the email channel, or the prospect has no email address.", **P}})
async def request_confirmation(prospect_id: uuid.UUID, channel: Channel, body: ConfirmationRequestIn,
                               request: Request, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """For consent ticked on an anonymous form (e.g. the ATS careers form's talent-pool box): anyone can type
    anyone's address there, so the consent is not granted yet. The purpose's email consent becomes `requested` and
    the CRM mails the prospect's primary address a link; only following it (and pressing the button on the page it
    opens) grants the consent, with this `text_version` and `source`. A withdrawn consent is never overturned and a
    granted (unexpired) one never downgraded: then nothing changes, nothing is mailed, and the answer is 200 with
    the `reason`. At most one confirmation mail per purpose goes out in 15 minutes. Send an `Idempotency-Key` to
    retry safely. Email only (422 for other channels)."""
    async def run() -> Response:
        out = await service.request_confirmation(uow=uow, prospect_id=prospect_id, channel=channel, purpose=body.purpose,
                                                 source=body.source, text_version=body.text_version, ctx=ctx,
                                                 now=clock_of(request.app).now())
        return JSONResponse(ConfirmationRequestResult.model_validate(out).model_dump(mode="json"),
                            status_code=201 if out["queued"] else 200)
    return await idem.run(run)
