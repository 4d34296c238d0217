"""`/v1/field-policy`: the ownership mode of every catalogued profile field."""
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from shared_schemas.policy import Carrier, FieldKind, OwnershipMode
from talentkit.auth import RequestContext, require
from talentkit.db import Session

from sync_gateway.policy.store import effective_policy

router = APIRouter(prefix="/v1/field-policy", tags=["Field policy"])


class FieldPolicyRead(BaseModel):
    """One field of the profile catalogue."""

    field: str
    kind: FieldKind
    mode: OwnershipMode = Field(description="ats, crm, prefer_ats_unless_blank, prefer_crm_unless_blank, two_way, union or none.")
    why: str
    synced_now: bool = Field(description="True when the profile sync carries the field (under `mode`).")
    carried_by: Carrier = Field(description="`profile`: the profile sync, under `mode`; `flows`: the business flows "
                                "(push to job, applied, hired, rejected), one way; `nothing`: it never leaves its system.")
    allowed_modes: list[OwnershipMode] = Field(description="What `PUT /v1/field-policy/{field}` accepts for it.")


@router.get("", response_model=list[FieldPolicyRead], summary="Show the field ownership policy")
async def field_policy(ctx: Annotated[RequestContext, Depends(require("gateway:read"))], session: Session) -> list[FieldPolicyRead]:
    """Which system owns each profile field and how changes move between the ATS and the CRM (the defaults from
    the shared catalogue, with any runtime change an admin made through `PUT /v1/field-policy/{field}`)."""
    policy = await effective_policy(session)
    return [FieldPolicyRead(field=s.name, kind=s.kind, mode=s.mode, why=s.why, synced_now=s.synced_now,
                            carried_by=s.carried_by, allowed_modes=s.allowed_modes) for s in policy.specs.values()]
