"""The hand-off task: read the hire (one transaction), call the HRIS (none open), record the outcome (another)."""
from __future__ import annotations

import uuid

from fastapi import FastAPI

from ats.hris import service
from ats.hris.adapter import HrisAdapter, HttpHrisAdapter
from ats.tasks.models import Task


def adapter_of(app: FastAPI) -> HrisAdapter:
    """The configured adapter (`app.state.hris_adapter` when a deployment plugs in another)."""
    if (plugged := getattr(app.state, "hris_adapter", None)) is not None:
        return plugged  # type: ignore[no-any-return]
    s = app.state.settings
    if not s.hris_url:
        raise RuntimeError("ATS_HRIS_URL is not set: the hire waits for an HRIS")
    return HttpHrisAdapter(s.hris_url, s.hris_api_key.get_secret_value() if s.hris_api_key else None)


class HrisPerformer:
    """Hands one hire to the HRIS; the idempotency key is the task's, so retries never create a second employee."""

    async def perform(self, app: FastAPI, task: Task) -> None:
        application_id = uuid.UUID(task.payload["application_id"])
        async with app.state.uow_factory() as uow:
            employee = await service.employee(uow=uow, application_id=application_id)
        if employee is None:
            return  # unhired meanwhile, or already sent
        employee_id = await adapter_of(app).create_employee(employee, idempotency_key=task.dedupe_key)
        async with app.state.uow_factory() as uow:
            await service.record_sent(uow=uow, application_id=application_id, employee_id=employee_id)
            await uow.commit()

    async def gave_up(self, app: FastAPI, task: Task, error: str) -> None:
        async with app.state.uow_factory() as uow:
            await service.record_failed(uow=uow, application_id=uuid.UUID(task.payload["application_id"]), error=error)
            await uow.commit()
