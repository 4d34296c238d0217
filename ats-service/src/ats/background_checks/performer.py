"""The invitation task: read who to invite (one transaction), call the provider (none open), record it."""
from __future__ import annotations

import uuid

from fastapi import FastAPI

from ats.background_checks import service
from ats.background_checks.provider import BackgroundCheckProvider, HttpProvider
from ats.tasks.models import Task


def provider_of(app: FastAPI) -> BackgroundCheckProvider:
    """The configured provider (`app.state.background_check_provider` when a deployment plugs in another)."""
    if (plugged := getattr(app.state, "background_check_provider", None)) is not None:
        return plugged  # type: ignore[no-any-return]
    s = app.state.settings
    if not s.background_check_url:
        raise RuntimeError("ATS_BACKGROUND_CHECK_URL is not set")
    key = s.background_check_api_key.get_secret_value() if s.background_check_api_key else None
    return HttpProvider(s.background_check_url, key)


class InvitationPerformer:
    """Creates the candidate and the invitation at the provider (its idempotency keys make retries safe)."""

    async def perform(self, app: FastAPI, task: Task) -> None:
        check_id = uuid.UUID(task.payload["check_id"])
        async with app.state.uow_factory() as uow:
            who = await service.invitee(uow=uow, check_id=check_id)
        if who is None:
            return
        invitation = await provider_of(app).invite(**who)
        async with app.state.uow_factory() as uow:
            await service.record_invited(uow=uow, check_id=check_id, invitation=invitation)
            await uow.commit()

    async def gave_up(self, app: FastAPI, task: Task, error: str) -> None:
        """The task row keeps the error; the check stays `requested` (order a new one once the provider works)."""
