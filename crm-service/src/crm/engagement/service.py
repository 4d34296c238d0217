"""Engagement use cases: score a prospect from its timeline, keep the latest score, alert on an upward crossing,
rank prospects by score, and the per-step engagement report."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, distinct, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.errors import NotFound

from crm.activities.models import Activity
from crm.alerts.models import Alert
from crm.engagement.config import EngagementSettings
from crm.engagement.models import EngagementScore
from crm.engagement.score import Contribution, compute, decay, level_of
from crm.events import emit
from crm.prospects.models import Prospect
from crm.sending.models import Message

HORIZON_HALF_LIVES = 20  # older events weigh < 1e-6 of their weight


async def _prospect(session: AsyncSession, prospect_id: uuid.UUID) -> Prospect:
    prospect = await session.get(Prospect, prospect_id)
    if prospect is None:
        raise NotFound(f"No prospect with id {prospect_id}.")
    return prospect


async def evaluate(session: AsyncSession, prospect_id: uuid.UUID, now: datetime,
                   settings: EngagementSettings) -> tuple[float, list[Contribution]]:
    """The prospect's score at `now`, from its activity timeline."""
    since = now - timedelta(days=settings.half_life_days * HORIZON_HALF_LIVES)
    rows = (await session.execute(select(Activity.kind, Activity.occurred_at).where(
        Activity.prospect_id == prospect_id, Activity.kind.in_(tuple(settings.weights())),
        Activity.occurred_at >= since, Activity.occurred_at <= now))).all()
    return compute(((k, at) for k, at in rows), now, settings)


async def read(session: AsyncSession, prospect_id: uuid.UUID, now: datetime, settings: EngagementSettings) -> dict[str, Any]:
    """`{score, level, contributions}` at `now` (read only)."""
    await _prospect(session, prospect_id)
    score, contributions = await evaluate(session, prospect_id, now, settings)
    return {"prospect_id": prospect_id, "score": score, "level": level_of(score, settings), "computed_at": now,
            "half_life_days": settings.half_life_days,
            "contributions": [{"kind": c.kind, "at": c.at, "weight": c.weight, "decayed": round(c.decayed, 6)}
                              for c in contributions]}


def _decayed_sql(now: datetime, settings: EngagementSettings) -> Any:
    """SQL: the stored score decayed from its `computed_at` to `now` (all scores share one half-life)."""
    age = func.extract("epoch", literal(now) - EngagementScore.computed_at)
    return EngagementScore.score * func.power(0.5, func.greatest(age, 0) / (settings.half_life_days * 86400.0))


async def refresh(session: AsyncSession, prospect_id: uuid.UUID, now: datetime, settings: EngagementSettings,
                  ctx: RequestContext | None) -> EngagementScore:
    """Recompute and store the prospect's score after an engagement event (in the caller's transaction). When the
    score rises from below `alert_threshold` to at least it, raise one `engagement_threshold` alert for the owner
    and emit `crm.prospect.engaged.v1` (and `crm.alert.raised.v1`)."""
    await session.execute(insert(EngagementScore).values(
        prospect_id=prospect_id, score=0.0, level="cold", computed_at=now, crossings=0, version=0,
    ).on_conflict_do_nothing())
    row = (await session.execute(select(EngagementScore).where(EngagementScore.prospect_id == prospect_id)
                                 .with_for_update().execution_options(populate_existing=True))).scalar_one()
    before = decay(row.score, (now - row.computed_at).total_seconds(), settings.half_life_days) if row.version else 0.0
    score, _ = await evaluate(session, prospect_id, now, settings)
    row.score, row.level, row.computed_at, row.updated_at = score, level_of(score, settings), now, now
    row.version += 1
    threshold = settings.alert_threshold
    if before < threshold <= score:
        prospect = await _prospect(session, prospect_id)
        name = " ".join(p for p in (prospect.first_name, prospect.last_name) if p) or str(prospect_id)
        alert = Alert(kind="engagement_threshold", recipient=prospect.owner, status="open", version=1,
                      title=f"{name} is engaging (score {score:.1f})",
                      data={"prospect_id": str(prospect_id), "score": score, "level": row.level, "threshold": threshold})
        session.add(alert)
        await session.flush()
        row.crossings += 1
        row.last_alert_id = alert.id
        await emit(session, ctx, "crm.alert.raised.v1", aggregate_id=alert.id, sequence=1,
                   data={"alert_id": alert.id, "kind": alert.kind, "recipient": alert.recipient, "title": alert.title,
                         "data": alert.data})
        await emit(session, ctx, "crm.prospect.engaged.v1", aggregate_id=prospect_id, sequence=prospect.version,
                   data={"prospect_id": prospect_id, "score": score, "level": row.level, "threshold": threshold,
                         "owner": prospect.owner, "alert_id": alert.id})
    await session.flush()
    return row


async def ranked(session: AsyncSession, now: datetime, settings: EngagementSettings, *, descending: bool,
                 offset: int, limit: int, level: str | None = None) -> list[dict[str, Any]]:
    """Prospects with a stored score, ordered by the score decayed to `now`."""
    current = _decayed_sql(now, settings).label("current")
    stmt = (select(EngagementScore.prospect_id, current, Prospect.first_name, Prospect.last_name, Prospect.owner)
            .join(Prospect, Prospect.id == EngagementScore.prospect_id))
    order = [current.desc(), EngagementScore.prospect_id] if descending else [current.asc(), EngagementScore.prospect_id]
    rows = (await session.execute(stmt.order_by(*order))).all() if level else \
        (await session.execute(stmt.order_by(*order).offset(offset).limit(limit))).all()
    out = [{"prospect_id": r.prospect_id, "first_name": r.first_name, "last_name": r.last_name, "owner": r.owner,
            "score": round(float(r.current), 6), "level": level_of(float(r.current), settings)} for r in rows]
    if level:
        out = [r for r in out if r["level"] == level][offset:offset + limit]
    return out


async def report(session: AsyncSession, *, sequence_id: uuid.UUID | None, since: datetime | None,
                 until: datetime | None) -> list[dict[str, Any]]:
    """Per sequence, step and variant: messages sent, delivered (sent and not bounced), and how many of them were
    opened, clicked and replied to (distinct messages, from the timeline)."""
    def touched(kind: str) -> Any:
        return func.count(distinct(Activity.data["message_id"].astext)).filter(Activity.kind == kind)

    sent_states = ("sent", "bounced")
    base = [Message.state.in_(sent_states), Message.sent_at.is_not(None)]
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
    by_key = {(t.sequence_id, t.step_index, t.variant): t for t in touches}
    out = []
    for c in sorted(counts, key=lambda r: (str(r.sequence_id), r.step_index, r.variant or "")):
        t = by_key.get((c.sequence_id, c.step_index, c.variant))
        out.append({"sequence_id": c.sequence_id, "step_index": c.step_index, "variant": c.variant, "sent": c.sent,
                    "delivered": c.delivered, "opened": t.opened if t else 0, "clicked": t.clicked if t else 0,
                    "replied": t.replied if t else 0})
    return out


def prospect_ordering(descending: bool) -> Any:
    """`GET /v1/prospects?order=-engagement_score` (or `engagement_score`): prospects by their score decayed to
    now; those who never engaged count as 0."""
    from crm.engagement.config import engagement_settings
    from crm.sequences.clock import clock_of

    async def ordered(session: AsyncSession, request: Any, stmt: Any, offset: int, limit: int) -> list[Any]:
        score = func.coalesce(_decayed_sql(clock_of(request.app).now(), engagement_settings(request.app)), 0.0)
        stmt = stmt.outerjoin(EngagementScore, EngagementScore.prospect_id == Prospect.id)
        stmt = stmt.order_by(score.desc() if descending else score.asc(), Prospect.id).offset(offset).limit(limit)
        return list((await session.execute(stmt)).scalars())
    return ordered
