"""The scheduled retention job: one replica at a time, every `retention_interval_seconds`."""
from __future__ import annotations

from fastapi import FastAPI
from talentkit.auth import Principal, RequestContext
from talentkit.clock import clock_of
from talentkit.singleton import run_periodically_as_leader

from ats.retention import service

RETENTION = Principal(id="retention", scopes=frozenset({"ats:write"}))  # what its writes record as the actor


async def retention_worker(app: FastAPI) -> None:
    """Run retention on schedule while this replica leads (a no-op when disabled in settings)."""
    settings = app.state.settings
    if not settings.retention_enabled:
        return

    async def once() -> None:
        await service.run(factory=app.state.uow_factory, clock=clock_of(app), trigger="schedule",
                          ctx=RequestContext(principal=RETENTION))

    await run_periodically_as_leader(app.state.engine, "ats-retention", once, interval=settings.retention_interval_seconds)
