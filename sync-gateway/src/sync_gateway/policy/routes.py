"""`/v1/field-policy`: the ownership mode of every catalogued profile field."""
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW

from sync_gateway.container import Wiring
from sync_gateway.policy import service
from sync_gateway.policy.schemas import FieldPolicyRead, PolicyChange, PolicyChanged

router = APIRouter(prefix="/v1/field-policy", tags=["Field policy"])
P = PROBLEM_ANSWER


@router.get("", response_model=list[FieldPolicyRead], summary="Show the field ownership policy")
async def field_policy(ctx: Annotated[RequestContext, Depends(require("gateway:read"))], uow: UoW,
                       gateway: Wiring) -> list[FieldPolicyRead]:
    """Which system owns each profile field and how changes move between the ATS and the CRM (the defaults from
    the shared catalogue, with any runtime change an admin made through `PUT /v1/field-policy/{field}`)."""
    policy = await service.current(uow=uow, cache=gateway.policy)
    return [FieldPolicyRead(field=s.name, kind=s.kind, mode=s.mode, why=s.why, synced_now=s.synced_now,
                            carried_by=s.carried_by, allowed_modes=s.allowed_modes) for s in policy.specs.values()]


@router.put("/{field}", response_model=PolicyChanged, summary="Change a field's ownership mode",
            responses={404: {"description": "Not a catalogued field.", **P},
                       422: {"description": "A mode that does not fit the field (`errors` names `mode`).", **P}})
async def set_policy(field: str, body: PolicyChange, ctx: Annotated[RequestContext, Depends(require("gateway:admin"))],
                     uow: UoW, gateway: Wiring) -> dict[str, Any]:
    """Change how one field syncs from now on (audited: who, when, from which mode); every gateway replica applies
    it within a second. Nothing already synced is touched; `POST /v1/resync` re-applies the policy to existing
    links when you want that.

    The mode must fit the field (see `allowed_modes` in `GET /v1/field-policy`): `union` only for list fields
    (emails, phones, tags), `two_way` and `prefer_*_unless_blank` only for single values; fields carried by the
    business flows or never synced by design keep their mode. Creating a person on the other side always carries
    the fields every person needs there (`first_name`, `last_name`), whatever their mode: the mode governs every
    other field of a creation and every change afterwards, so no mode can make creations impossible."""
    return await service.change(uow=uow, cache=gateway.policy, field=field, mode=body.mode, ctx=ctx)
