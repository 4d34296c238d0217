"""`/v1/prospects/{id}/consent`."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from talentkit.auth import RequestContext, require
from talentkit.db import UoW

from crm.consent import service
from crm.consent.models import Channel
from crm.consent.schemas import ChannelConsent, ConsentPut, ConsentRead
from crm.sequences.clock import clock_of

router = APIRouter(prefix="/v1/prospects/{prospect_id}/consent", tags=["Consent"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = {"content": {"application/problem+json": {}}}


@router.get("", response_model=ConsentRead, summary="Get a prospect's consent",
            responses={404: {"description": "No such prospect.", **P}})
async def get_consent(prospect_id: uuid.UUID, ctx: Reader, uow: UoW) -> dict[str, Any]:
    """Consent (status, lawful basis, source, text version, expiry) and suppressions per channel. `requested`:
    asked for on the talent-community form, not granted until the person confirms by the link we emailed."""
    return await service.read(uow=uow, prospect_id=prospect_id)


@router.put("/{channel}", response_model=ChannelConsent, summary="Record consent for a channel",
            responses={404: {"description": "No such prospect.", **P}, 409: {"description": "The prospect was merged.", **P},
                       410: {"description": "The prospect was erased.", **P}, 412: {"description": "Stale `If-Match`.", **P}})
async def put_consent(prospect_id: uuid.UUID, channel: Channel, body: ConsentPut, request: Request, ctx: Writer,
                      uow: UoW, if_match: Annotated[str | None, Header(
                          description="Optional: the channel's version as `\"n\"`; `\"0\"` when none was recorded.")] = None,
                      ) -> dict[str, Any]:
    """Replace the channel's consent statement (idempotent). Email that may no longer be used (withdrawn, expired,
    suppressed) exits the prospect's running enrollments. Emits `crm.consent.changed.v1`."""
    return await service.put(uow=uow, prospect_id=prospect_id, channel=channel, values=body.model_dump(mode="python"),
                             if_match=if_match, ctx=ctx, now=clock_of(request.app).now())
