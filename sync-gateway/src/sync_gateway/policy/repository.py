"""Every query on field-policy overrides."""
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sync_gateway.policy.models import FieldPolicyOverride


async def overrides(session: AsyncSession) -> dict[str, str]:
    """The runtime mode of every overridden field."""
    return {field: mode for field, mode in (await session.execute(
        select(FieldPolicyOverride.field, FieldPolicyOverride.mode))).all()}


async def override(session: AsyncSession, field: str) -> FieldPolicyOverride | None:
    """One field's override, locked for this transaction."""
    stmt = select(FieldPolicyOverride).where(FieldPolicyOverride.field == field).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()
