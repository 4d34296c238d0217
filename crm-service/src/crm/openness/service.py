"""Openness use cases: explain one prospect's score, order prospects by it, alert when one crosses the threshold."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.background import repeat
from talentkit.uow import UnitOfWork

from crm.alerts.service import raise_alert
from crm.openness import repository
from crm.openness.formula import MAX_SCORE, explain
from crm.openness.models import OpennessAlert
from crm.prospects.models import Prospect
from crm.prospects.service import prospects


async def read(*, uow: UnitOfWork, prospect_id: uuid.UUID, now: datetime) -> dict[str, Any]:
    """The prospect's openness score with every signal, the points it earned and why."""
    await prospects.get(uow.session, prospect_id)
    score, parts = explain(await repository.signals_of(uow.session, prospect_id, now))
    return {"prospect_id": prospect_id, "score": score, "max_score": MAX_SCORE, "computed_at": now,
            "reasons": [p["reason"] for p in parts if p["reason"]], "signals": parts}


def openness_ordering(descending: bool) -> Any:
    """`GET /v1/prospects?order=-openness` for the shared profile routes (ties: id)."""
    async def ordered(session: AsyncSession, request: Any, stmt: Any, offset: int, limit: int) -> list[Any]:
        stmt, score = repository.scored(stmt, datetime.now(UTC))
        stmt = stmt.order_by(score.desc() if descending else score.asc(), Prospect.id).offset(offset).limit(limit)
        return [row[0] for row in (await session.execute(stmt)).all()]
    return ordered


async def alert_crossings(app: FastAPI, *, now: datetime | None = None) -> int:
    """Alert each prospect's owner once when the prospect's openness reaches the threshold; how many alerts."""
    now = now or datetime.now(UTC)
    async with app.state.uow_factory() as uow:
        rows = await repository.crossing(uow.session, now, app.state.settings.openness_alert_threshold)
        for prospect, score in rows:
            name = f"{prospect.first_name} {prospect.last_name}"
            _, parts = explain(await repository.signals_of(uow.session, prospect.id, now))
            await raise_alert(uow=uow, kind="openness_threshold", recipient=prospect.owner,
                              title=f"{name} may be open to a move (openness {score})",
                              data={"prospect_id": str(prospect.id), "score": int(score),
                                    "reasons": [p["reason"] for p in parts if p["reason"]]})
            stmt = insert(OpennessAlert).values(prospect_id=prospect.id, score=int(score), alerted_at=now)
            await uow.session.execute(stmt.on_conflict_do_update(index_elements=["prospect_id"],
                                                                 set_={"score": int(score), "alerted_at": now}))
        await uow.commit()
    return len(rows)


# Background task of the CRM: look for prospects crossing the openness threshold every few minutes.
async def _round(app: FastAPI) -> None:
    await alert_crossings(app)  # never "busy": pause between rounds


openness_worker = repeat(_round, pause=lambda app: app.state.settings.openness_check_seconds, name="openness_worker")
