"""`/v1/offers` and the actions of the offer's state machine."""
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from talentkit.apidocs import PROBLEM_ANSWER, Responses
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from ats.offers import service
from ats.offers.models import Offer, OfferStatus
from ats.offers.schemas import (
    ApprovalRejection,
    OfferCreate,
    OfferDecline,
    OfferRead,
    OfferRescind,
    OfferUpdate,
)

router = APIRouter(prefix="/v1/offers", tags=["Offers"])
Reader = Annotated[RequestContext, Depends(require("ats:read"))]
Writer = Annotated[RequestContext, Depends(require("ats:write"))]
IfMatch = Annotated[str | None, Header(description="The offer's `ETag` from your last read.")]
P = PROBLEM_ANSWER
ACTION_ERRORS: Responses = {404: {"description": "No such offer.", **P},
                 409: {"description": "Not allowed from the offer's current status (`offer_status`).", **P}}


async def _read(coro: Awaitable[Offer], status_code: int = 200, created: bool = False) -> Response:
    offer = await coro
    return resource_response(OfferRead, offer, status_code=status_code, location=f"/v1/offers/{offer.id}" if created else None)


@router.post("", status_code=201, response_model=OfferRead, summary="Draft an offer",
             responses={409: {"description": "The application is not active.", **P},
                        422: {"description": "Invalid body, unknown application, or a salary without currency.", **P}})
async def create_offer(body: OfferCreate, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Draft an offer for an active application. It gets the next `offer_version` (1, 2, ...) and every earlier
    offer of the application still in play (draft, approval_pending, approved, sent) becomes `rescinded`.
    You (the `On-Behalf-Of` user, else your API key) are its author (`drafted_by`) and cannot be one of its
    `approvers`. Then: `/request-approval` → each approver in turn `/approve`s (or `/reject`s back to draft) →
    `/send` → `/accept` or `/decline`. Emits `ats.offer.created.v1`."""
    return await idem.run(lambda: _read(service.create(uow=uow, values=body.values(), ctx=ctx), 201, created=True))


@router.get("", response_model=Page[OfferRead], summary="List offers")
async def list_offers(ctx: Reader, uow: UoW, paging: PageQuery,
                      application_id: uuid.UUID | None = None,
                      status: Annotated[OfferStatus | None, Query(description="One offer status.")] = None,
                      updated_after: Annotated[datetime | None, Query(description="Only offers changed after this time.")] = None,
                      ) -> dict[str, Any]:
    """Offers, oldest first, filtered with AND; follow `next`."""
    return await service.list_offers(uow=uow, paging=paging, application_id=application_id, status=status,
                                     updated_after=updated_after)


@router.get("/{offer_id}", response_model=OfferRead, summary="Get an offer", responses={404: {"description": "No such offer.", **P}})
async def get_offer(offer_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The offer; `ETag` carries its version."""
    return await _read(service.get(uow=uow, offer_id=offer_id))


@router.patch("/{offer_id}", response_model=OfferRead, summary="Edit a draft offer",
              responses={**ACTION_ERRORS, 412: {"description": "Stale `If-Match`.", **P},
                         422: {"description": "Invalid field.", **P}, 428: {"description": "`If-Match` missing.", **P}})
async def update_offer(offer_id: uuid.UUID, body: OfferUpdate, ctx: Writer, uow: UoW, if_match: IfMatch = None) -> Response:
    """Change a draft offer's start date, salary, currency, terms or approver chain. Needs `If-Match`; only drafts
    can be edited (409 otherwise: draft a new offer instead)."""
    return await _read(service.update(uow=uow, offer_id=offer_id, values=body.values(exclude_unset=True), if_match=if_match,
                                      ctx=ctx))


@router.post("/{offer_id}/request-approval", response_model=OfferRead, summary="Ask for approval",
             responses={**ACTION_ERRORS, 422: {"description": "`start_date`, `salary`, `currency` or `approvers` missing, "
                                                              "or the author is in the chain.", **P}})
async def request_approval(offer_id: uuid.UUID, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """draft → approval_pending. The offer needs `start_date`, `salary`, `currency` and an approver chain
    (`approvers`) first. Every approver approves again in this round, in order, starting with the first."""
    return await idem.run(lambda: _read(service.request_approval(uow=uow, offer_id=offer_id, ctx=ctx)))


APPROVAL_ERRORS: Responses = {404: {"description": "No such offer.", **P},
                   403: {"description": "You are the offer's author (`reason: self_approval`) or not one of its "
                                        "approvers (`reason: not_an_approver`).", **P},
                   409: {"description": "Not approval_pending (`offer_status`), or another approver comes first "
                                        "(`reason: out_of_order`, `next_approver`).", **P}}
WHO_APPROVES = """Only the approver the offer waits for (`next_approver`) may do this: the user named in
`On-Behalf-Of` (when your key acts for users), or else your API key's own principal id, must be that approver
(compared lower-cased). The offer's author never approves or rejects their own offer. The audit trail keeps the
API key (`actor`) and the user (`on_behalf_of`) of every decision."""


@router.post("/{offer_id}/approve", response_model=OfferRead, summary="Approve (as the next approver)",
             responses=APPROVAL_ERRORS, description=(
                 "Record your approval. While later approvers remain, the offer stays `approval_pending` and "
                 "`next_approver` moves on; the last approval makes it `approved` (`approved_by` names that "
                 "approver) and emits `ats.offer.approved.v1`.\n\n" + WHO_APPROVES))
async def approve(offer_id: uuid.UUID, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Approve as the next approver of the chain."""
    return await idem.run(lambda: _read(service.approve(uow=uow, offer_id=offer_id, ctx=ctx)))



@router.post("/{offer_id}/reject", response_model=OfferRead, summary="Reject (as the next approver)",
             responses={**APPROVAL_ERRORS, 422: {"description": "`reason` missing.", **P}}, description=(
                 "approval_pending → draft, with your reason (kept in `approvals` and the audit trail): edit the "
                 "offer, then ask for approval again. No event is published.\n\n" + WHO_APPROVES))
async def reject(offer_id: uuid.UUID, body: ApprovalRejection, ctx: Writer, uow: UoW,
                 idem: IdempotencyGuard) -> Response:
    """Send the offer back to draft as the next approver."""
    return await idem.run(lambda: _read(service.reject(uow=uow, offer_id=offer_id, reason=body.reason, ctx=ctx)))



@router.post("/{offer_id}/send", response_model=OfferRead, summary="Mark as sent", responses=ACTION_ERRORS)
async def send(offer_id: uuid.UUID, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """approved → sent (the offer went to the candidate). Emits `ats.offer.sent.v1`."""
    return await idem.run(lambda: _read(service.send(uow=uow, offer_id=offer_id, ctx=ctx)))


@router.post("/{offer_id}/accept", response_model=OfferRead, summary="Record acceptance", responses=ACTION_ERRORS)
async def accept(offer_id: uuid.UUID, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """sent → accepted. The application can then be hired from any stage. Emits `ats.offer.accepted.v1`."""
    return await idem.run(lambda: _read(service.accept(uow=uow, offer_id=offer_id, ctx=ctx)))


@router.post("/{offer_id}/decline", response_model=OfferRead, summary="Record a decline",
             responses={**ACTION_ERRORS, 422: {"description": "`reason` missing.", **P}})
async def decline(offer_id: uuid.UUID, body: OfferDecline, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """sent → declined, with the candidate's reason. Emits `ats.offer.declined.v1`."""
    return await idem.run(lambda: _read(service.decline(uow=uow, offer_id=offer_id, reason=body.reason, ctx=ctx)))


@router.post("/{offer_id}/rescind", response_model=OfferRead, summary="Rescind", responses=ACTION_ERRORS)
async def rescind(offer_id: uuid.UUID, ctx: Writer, uow: UoW, idem: IdempotencyGuard,
                  body: OfferRescind | None = None) -> Response:
    """Withdraw an offer that is draft, approval_pending, approved or sent; an optional `reason` goes to the audit
    trail. No event is published."""
    return await idem.run(lambda: _read(service.rescind(uow=uow, offer_id=offer_id, reason=body.reason if body else None,
                                                         ctx=ctx)))
