"""The effective field policy: the shared defaults with the runtime overrides applied."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from shared_schemas.policy import DEFAULT_POLICY, FieldSpec, OwnershipMode
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sync_gateway.operations.models import FieldPolicyOverride


@dataclass(frozen=True)
class Policy:
    """The effective mode of every catalogued field."""

    specs: Mapping[str, FieldSpec]

    @cached_property
    def synced(self) -> tuple[str, ...]:
        """The fields the profile sync carries."""
        return tuple(name for name, spec in self.specs.items() if spec.synced_now)

    def mode(self, name: str) -> OwnershipMode:
        return self.specs[name].mode


def apply_overrides(overrides: Mapping[str, str]) -> Policy:
    """Defaults from shared-schemas, each overridden field with its runtime mode."""
    return Policy({name: spec.model_copy(update={"mode": OwnershipMode(overrides[name])}) if name in overrides else spec
                   for name, spec in DEFAULT_POLICY.items()})


async def effective_policy(session: AsyncSession) -> Policy:
    """Read the runtime overrides and apply them to the defaults."""
    rows = (await session.execute(select(FieldPolicyOverride.field, FieldPolicyOverride.mode))).all()
    return apply_overrides({field: mode for field, mode in rows})
