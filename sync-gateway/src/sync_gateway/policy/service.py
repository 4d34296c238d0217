"""The field policy as a service: read it, change one field's mode (validated against the field)."""
from datetime import UTC, datetime
from typing import Any

from shared_schemas.policy import DEFAULT_POLICY, Carrier, OwnershipMode
from talentkit.auth import RequestContext
from talentkit.errors import NotFound, Unprocessable, field_error
from talentkit.uow import UnitOfWork

from sync_gateway.policy import repository
from sync_gateway.policy.models import FieldPolicyOverride
from sync_gateway.policy.store import Policy, PolicyCache


async def current(*, uow: UnitOfWork, cache: PolicyCache) -> Policy:
    """The effective policy."""
    return await cache.current(uow.session)


async def change(*, uow: UnitOfWork, cache: PolicyCache, field: str, mode: OwnershipMode, ctx: RequestContext) -> dict[str, Any]:
    """Change one field's mode from now on (nothing already synced is touched); 404 for a field not in the
    catalogue, 422 naming `mode` for a mode that does not fit it."""
    spec = DEFAULT_POLICY.get(field)
    if spec is None:
        raise NotFound(f"{field!r} is not in the field catalogue.")
    if mode not in spec.allowed_modes:
        allowed = ", ".join(m.value for m in spec.allowed_modes)
        why = (f"{field} is carried one way or not at all" if spec.modes is not None
               else f"{field} keeps its mode ({spec.why})" if spec.carried_by is not Carrier.PROFILE
               else f"{mode.value} does not fit a {spec.kind.value} field")
        raise Unprocessable(f"{why}; allowed: {allowed}.", errors=[field_error("mode", f"{why}; allowed: {allowed}")])
    row = await repository.override(uow.session, field)
    if row is None:
        row = FieldPolicyOverride(field=field, mode=spec.mode.value, version=0, history=[])
        uow.session.add(row)
    before = row.mode
    row.change(mode.value, actor=ctx.actor, at=datetime.now(UTC))
    uow.after_commit.append(cache.invalidate)
    return {"field": field, "mode": mode.value, "previous_mode": before, "changed_by": ctx.actor, "history": row.history}
