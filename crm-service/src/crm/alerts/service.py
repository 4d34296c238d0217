"""Alert use cases: raise an alert for a recruiter (it records `crm.alert.raised.v1`), find talent for an opened
job and alert its recruiter, rediscover talent, list and acknowledge alerts."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from talentkit.errors import NotFound
from talentkit.pagination import Paging, iso
from talentkit.uow import UnitOfWork

from crm.alerts import repository
from crm.alerts.matching import Opening, find_matches, summary
from crm.alerts.models import Alert


async def raise_alert(*, uow: UnitOfWork, kind: str, recipient: str | None, title: str, data: dict[str, Any]) -> Alert:
    """An open alert of `kind` for `recipient`."""
    alert = Alert.raise_for(kind=kind, recipient=recipient, title=title, data=data)
    uow.session.add(alert)
    await uow.flush()
    return alert


async def job_opened(*, uow: UnitOfWork, job_id: uuid.UUID, opening: Opening, recruiter: str | None) -> Alert:
    """Match silver medalists and past prospects against the job and raise a `job_matches` alert listing them."""
    matches = [summary(m) for m in await find_matches(uow.session, opening)]
    return await raise_alert(uow=uow, kind="job_matches", recipient=recruiter,
                             title=f"{len(matches)} people to consider for {opening.title}",
                             data={"job_id": str(job_id), "matches": matches})


async def rediscover(*, uow: UnitOfWork, opening: Opening) -> list[dict[str, Any]]:
    """Prospects matching a job's title, skills and location, best first, with the reasons."""
    return [summary(m) for m in await find_matches(uow.session, opening)]


async def list_alerts(*, uow: UnitOfWork, paging: Paging, recipient: str | None, status: str | None, kind: str | None,
                      updated_after: datetime | None) -> dict[str, Any]:
    """A page of alerts, oldest first."""
    stmt = repository.listing(recipient=recipient, status=status, kind=kind, updated_after=updated_after)
    return await paging.page(uow.session, stmt, created_col=Alert.created_at, id_col=Alert.id, filters={
        "recipient": recipient, "status": status, "kind": kind, "updated_after": iso(updated_after)})


async def get(*, uow: UnitOfWork, alert_id: uuid.UUID, for_update: bool = False) -> Alert:
    """The alert, or 404."""
    alert = await repository.get(uow.session, alert_id, for_update=for_update)
    if alert is None:
        raise NotFound("No such alert.")
    return alert


async def acknowledge(*, uow: UnitOfWork, alert_id: uuid.UUID) -> Alert:
    """Mark the alert seen; 409 when it already is."""
    alert = await get(uow=uow, alert_id=alert_id, for_update=True)
    alert.acknowledge()
    return alert
