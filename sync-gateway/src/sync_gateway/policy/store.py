"""The effective field policy (the shared defaults with the runtime overrides applied), cached in the process.

The hot path never reads the policy per event: the cache re-reads the overrides (a table of at most one row per catalogued field) at
most once per `max_age` seconds, so a change made on any replica applies everywhere within that time, and at
once on the replica that made it (its change invalidates the cache after the commit)."""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

from shared_schemas.policy import DEFAULT_POLICY, FieldSpec, OwnershipMode
from sqlalchemy.ext.asyncio import AsyncSession

from sync_gateway.policy import repository


@dataclass(frozen=True)
class Policy:
    """The effective mode of every catalogued field."""

    specs: Mapping[str, FieldSpec]

    @cached_property
    def synced(self) -> tuple[str, ...]:
        """The fields the profile sync carries."""
        return tuple(name for name, spec in self.specs.items() if spec.synced_now)

    def mode(self, name: str) -> OwnershipMode:
        """A field's effective mode."""
        return self.specs[name].mode


def apply_overrides(overrides: Mapping[str, str]) -> Policy:
    """Defaults from shared-schemas, each overridden field with its runtime mode."""
    return Policy({name: spec.model_copy(update={"mode": OwnershipMode(overrides[name])}) if name in overrides else spec
                   for name, spec in DEFAULT_POLICY.items()})


class PolicyCache:
    """The effective policy, re-read at most once per `max_age` seconds."""

    def __init__(self, *, max_age: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age, self.clock = max_age, clock
        self._policy: Policy | None = None
        self._read_at = 0.0

    def cached(self) -> Policy | None:
        """The cached policy while it is fresh (no database needed), else None."""
        if self._policy is not None and self.clock() - self._read_at < self.max_age:
            return self._policy
        return None

    async def current(self, session: AsyncSession) -> Policy:
        """The policy, read through `session` when the cached one is older than `max_age`."""
        now = self.clock()
        if self._policy is None or now - self._read_at >= self.max_age:
            self._policy, self._read_at = apply_overrides(await repository.overrides(session)), now
        return self._policy

    async def invalidate(self) -> None:
        """Forget the cached policy (after a change committed here)."""
        self._policy = None
