"""The openness signals of prospects, computed in SQL from the prospect row, its work history and its activity
timeline."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Select, and_, case, cast, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from crm.activities.models import Activity
from crm.openness.formula import score_sql
from crm.openness.models import OpennessAlert
from crm.prospects.models import Prospect
from crm.work_history.models import Position

ENGAGEMENT = ("message_opened", "message_clicked", "message_replied", "page_visit")
MONTH = 30.4375 * 86400  # seconds in an average month


def _count(kinds: tuple[str, ...], since: datetime, until: datetime | None = None) -> ColumnElement[Any]:
    stmt = select(func.count()).where(Activity.prospect_id == Prospect.id, Activity.kind.in_(kinds),
                                      Activity.occurred_at > since)
    return stmt.where(Activity.occurred_at <= until).scalar_subquery() if until else stmt.scalar_subquery()


def _changed_at(field: str) -> ColumnElement[Any]:
    return cast(Prospect.field_times[field].astext, DateTime(timezone=True))


def _tenure_months(now: datetime) -> ColumnElement[Any]:
    """Months since the earliest start of the prospect's positions at their current company, when they hold one
    of them still (a promotion there keeps the count going); null without such a position."""
    at_current = and_(Position.prospect_id == Prospect.id, func.coalesce(Prospect.current_company, "") != "",
                      func.lower(func.btrim(Position.company)) == func.lower(func.btrim(Prospect.current_company)))
    started = select(func.min(Position.started_on)).where(at_current).scalar_subquery()
    held = exists().where(at_current, Position.ended_on.is_(None))
    months = func.extract("epoch", literal(now) - cast(started, DateTime(timezone=True))) / MONTH
    return case((held, months), else_=None)


def signals(now: datetime) -> dict[str, ColumnElement[Any]]:
    """Each signal of `openness.formula` as a SQL expression on `prospects`."""
    changed = func.greatest(_changed_at("headline"), _changed_at("current_title"), _changed_at("current_company"))
    recent = _count(ENGAGEMENT, now - timedelta(days=30))
    before = _count(ENGAGEMENT, now - timedelta(days=60), now - timedelta(days=30))
    return {
        "tenure_months": _tenure_months(now),
        "engagement_trend": case((recent > 0, recent - before), else_=0),
        "visits_30d": _count(("page_visit",), now - timedelta(days=30)),
        "replies_60d": _count(("message_replied",), now - timedelta(days=60)),
        "profile_updated": case(((changed > now - timedelta(days=90)) & (changed > Prospect.created_at + timedelta(days=1)), 1),
                                else_=0),
    }


def scored(stmt: Select[Any], now: datetime) -> tuple[Select[Any], ColumnElement[Any]]:
    """`stmt` (over prospects) with the openness score as a column."""
    score = score_sql(signals(now)).label("openness")
    return stmt.add_columns(score), score


async def signals_of(session: AsyncSession, prospect_id: uuid.UUID, now: datetime) -> dict[str, float | None]:
    cols = signals(now)
    row = (await session.execute(select(*[c.label(n) for n, c in cols.items()]).where(Prospect.id == prospect_id))).one()
    return {n: None if getattr(row, n) is None else float(getattr(row, n)) for n in cols}


async def crossing(session: AsyncSession, now: datetime, threshold: int, *, limit: int = 100) -> list[Any]:
    """Live prospects at or above `threshold` not alerted in the last 90 days: (prospect, score)."""
    score = score_sql(signals(now))
    alerted = select(OpennessAlert.prospect_id).where(OpennessAlert.prospect_id == Prospect.id,
                                                      OpennessAlert.alerted_at > now - timedelta(days=90))
    stmt = (select(Prospect, score.label("openness"))
            .where(Prospect.status == "active", Prospect.merged_into_id.is_(None), ~alerted.exists(), score >= threshold)
            .order_by(score.desc(), Prospect.id).limit(limit))
    return list((await session.execute(stmt)).all())

