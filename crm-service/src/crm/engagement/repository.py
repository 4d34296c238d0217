"""Engagement queries: the stored score of each prospect, the ranking, the per-step report."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, cast, distinct, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.activities.models import Activity
from crm.engagement.config import EngagementSettings
from crm.engagement.models import EngagementScore
from crm.prospects.models import Prospect
from crm.sending.models import Message


def decayed(now: datetime, settings: EngagementSettings) -> Any:
    """SQL: the stored score decayed from its `computed_at` to `now` (all scores share one half-life)."""
    age = func.extract("epoch", literal(now) - EngagementScore.computed_at)
    return EngagementScore.score * func.power(0.5, func.greatest(age, 0) / (settings.half_life_days * 86400.0))


async def locked_score(session: AsyncSession, prospect_id: uuid.UUID, now: datetime) -> EngagementScore:
    """The prospect's score row (created at 0 when missing), locked."""
    await session.execute(insert(EngagementScore).values(
        prospect_id=prospect_id, score=0.0, level="cold", computed_at=now, crossings=0, version=0,
    ).on_conflict_do_nothing())
    return (await session.execute(select(EngagementScore).where(EngagementScore.prospect_id == prospect_id)
                                  .with_for_update().execution_options(populate_existing=True))).scalar_one()


async def ranked(session: AsyncSession, now: datetime, settings: EngagementSettings, *, descending: bool,
                 offset: int | None, limit: int | None) -> list[Any]:
    """Prospects with a stored score, ordered by the score decayed to `now` (all of them without offset/limit)."""
    current = decayed(now, settings).label("current")
    stmt = (select(EngagementScore.prospect_id, current, Prospect.first_name, Prospect.last_name, Prospect.owner)
            .join(Prospect, Prospect.id == EngagementScore.prospect_id)
            .order_by(current.desc() if descending else current.asc(), EngagementScore.prospect_id))
    if offset is not None and limit is not None:
        stmt = stmt.offset(offset).limit(limit)
    return list((await session.execute(stmt)).all())


def by_score(stmt: Select[Any], now: datetime, settings: EngagementSettings, *, descending: bool, offset: int,
             limit: int) -> Select[Any]:
    """A prospect listing ordered by the decayed score (those who never engaged count as 0)."""
    score = func.coalesce(decayed(now, settings), 0.0)
    stmt = stmt.outerjoin(EngagementScore, EngagementScore.prospect_id == Prospect.id)
    return stmt.order_by(score.desc() if descending else score.asc(), Prospect.id).offset(offset).limit(limit)


async def report(session: AsyncSession, *, sequence_id: uuid.UUID | None, since: datetime | None,
                 until: datetime | None) -> tuple[list[Any], list[Any]]:
    """Per (sequence, step, variant): sent/delivered counts, and distinct opened/clicked/replied messages."""
    def touched(kind: str) -> Any:
        return func.count(distinct(Activity.data["message_id"].astext)).filter(Activity.kind == kind)

    base: list[ColumnElement[bool]] = [Message.state.in_(("sent", "bounced")), Message.sent_at.is_not(None)]
    if sequence_id:
        base.append(Message.sequence_id == sequence_id)
    if since:
        base.append(Message.sent_at >= since)
    if until:
        base.append(Message.sent_at < until)
    keys = (Message.sequence_id, Message.step_index, Message.variant)
    counts = (await session.execute(
        select(*keys, func.count().label("sent"), func.count().filter(Message.state == "sent").label("delivered"))
        .where(*base).group_by(*keys))).all()
    touches = (await session.execute(
        select(*keys, touched("message_opened").label("opened"), touched("message_clicked").label("clicked"),
               touched("message_replied").label("replied"))
        .join(Activity, and_(Activity.prospect_id == Message.prospect_id,
                             Activity.data["message_id"].astext == cast(Message.id, String),
                             Activity.kind.in_(("message_opened", "message_clicked", "message_replied"))))
        .where(*base).group_by(*keys))).all()
    return list(counts), list(touches)
