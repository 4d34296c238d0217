"""The effective field policy: the shared defaults with the runtime overrides applied."""
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared_schemas.policy import DEFAULT_POLICY, FieldSpec, OwnershipMode
from sync_gateway.operations.models import FieldPolicyOverride


async def effective_policy(session: AsyncSession) -> dict[str, FieldSpec]:
    """Defaults from shared-schemas, each overridden field with its runtime mode."""
    overrides = {o.field: o.mode for o in (await session.execute(select(FieldPolicyOverride))).scalars()}
    return {name: spec.model_copy(update={"mode": OwnershipMode(overrides[name])}) if name in overrides else spec
            for name, spec in DEFAULT_POLICY.items()}
