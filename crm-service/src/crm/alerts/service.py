"""Alert use cases: raise an alert for a recruiter (it is published as `crm.alert.raised.v1`)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext

from crm.alerts.models import Alert
from crm.events import emit


async def raise_alert(session: AsyncSession, *, kind: str, recipient: str | None, title: str, data: dict[str, Any],
                      ctx: RequestContext | None) -> Alert:
    """An open alert of `kind` for `recipient`; emits `crm.alert.raised.v1`."""
    alert = Alert(kind=kind, recipient=recipient, title=title, data=data, status="open", version=1)
    session.add(alert)
    await session.flush()
    await emit(session, ctx, "crm.alert.raised.v1", aggregate_id=alert.id, sequence=1,
               data={"alert_id": alert.id, "kind": alert.kind, "recipient": alert.recipient, "title": alert.title,
                     "data": alert.data})
    return alert
