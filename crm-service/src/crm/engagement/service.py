"""Engagement use cases: score a prospect from its timeline, keep the latest score, alert on an upward crossing,
rank prospects by score, and the per-step engagement report."""
from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.errors import BadRequest, field_error
from talentkit.pagination import Paging, encode_cursor
from talentkit.uow import UnitOfWork

from crm.activities import repository as timeline
from crm.alerts.service import raise_alert
from crm.engagement import repository
from crm.engagement.config import EngagementSettings, engagement_settings
from crm.engagement.models import EngagementScore
from crm.engagement.schemas import Level, Order
from crm.engagement.score import Contribution, compute, decay, level_of
from crm.prospects.service import prospects
from crm.sequences.clock import clock_of

HORIZON_HALF_LIVES = 20  # older events weigh < 1e-6 of their weight


async def evaluate(*, uow: UnitOfWork, prospect_id: uuid.UUID, now: datetime,
                   settings: EngagementSettings) -> tuple[float, list[Contribution]]:
    """The prospect's score at `now`, from its activity timeline."""
    since = now - timedelta(days=settings.half_life_days * HORIZON_HALF_LIVES)
    rows = await timeline.kinds_since(uow.session, prospect_id, tuple(settings.weights()), since, now)
    return compute(rows, now, settings)


async def read(*, uow: UnitOfWork, prospect_id: uuid.UUID, now: datetime, settings: EngagementSettings) -> dict[str, Any]:
    """`{score, level, contributions}` at `now` (read only)."""
    await prospects.get(uow.session, prospect_id)
    score, contributions = await evaluate(uow=uow, prospect_id=prospect_id, now=now, settings=settings)
    return {"prospect_id": prospect_id, "score": score, "level": level_of(score, settings), "computed_at": now,
            "half_life_days": settings.half_life_days,
            "contributions": [{"kind": c.kind, "at": c.at, "weight": c.weight, "decayed": round(c.decayed, 6)}
                              for c in contributions]}


async def refresh(*, uow: UnitOfWork, prospect_id: uuid.UUID, now: datetime, settings: EngagementSettings) -> EngagementScore:
    """Recompute and store the prospect's score after an engagement event. When the score rises from below
    `alert_threshold` to at least it, raise one `engagement_threshold` alert for the owner; the prospect records
    `crm.prospect.engaged.v1`."""
    row = await repository.locked_score(uow.session, prospect_id, now)
    before = decay(row.score, (now - row.computed_at).total_seconds(), settings.half_life_days) if row.version else 0.0
    score, _ = await evaluate(uow=uow, prospect_id=prospect_id, now=now, settings=settings)
    row.score, row.level, row.computed_at, row.updated_at = score, level_of(score, settings), now, now
    row.version += 1
    threshold = settings.alert_threshold
    if before < threshold <= score:
        prospect = await prospects.get(uow.session, prospect_id)
        name = " ".join(p for p in (prospect.first_name, prospect.last_name) if p) or str(prospect_id)
        alert = await raise_alert(uow=uow, kind="engagement_threshold", recipient=prospect.owner,
                                  title=f"{name} is engaging (score {score:.1f})",
                                  data={"prospect_id": str(prospect_id), "score": score, "level": row.level,
                                        "threshold": threshold})
        row.crossings += 1
        row.last_alert_id = alert.id
        prospect.engaged(score=score, level=row.level, threshold=threshold, alert_id=alert.id)
    await uow.flush()
    return row


def _page_start(paging: Paging, order: Order, level: Level | None, now: datetime) -> tuple[int, datetime]:
    """(offset, the instant the ranking is computed at) of the page asked for; 400 for a cursor of another list."""
    if not paging.cursor:
        return 0, now
    try:
        payload = json.loads(base64.urlsafe_b64decode(paging.cursor + "=" * (-len(paging.cursor) % 4)))
        offset, at = int(payload["offset"]), datetime.fromisoformat(payload["at"])
    except (ValueError, KeyError, TypeError):
        raise BadRequest("The cursor is not one this API issued.", errors=[field_error("cursor", "invalid cursor")]) from None
    if payload.get("order") != order.value or payload.get("level") != (level.value if level else None) or offset < 0:
        raise BadRequest("The cursor was issued for another order or level.",
                         errors=[field_error("cursor", "order or level differ from the cursor's")])
    return offset, at


async def ranked(*, uow: UnitOfWork, paging: Paging, now: datetime, settings: EngagementSettings, order: Order,
                 level: Level | None) -> dict[str, Any]:
    """A page of the prospects with a stored score, by the score decayed to the first page's instant."""
    offset, at = _page_start(paging, order, level, now)
    descending, limit = order == Order.DESC, paging.limit + 1
    rows = await repository.ranked(uow.session, at, settings, descending=descending,
                                   offset=None if level else offset, limit=None if level else limit)
    out = [{"prospect_id": r.prospect_id, "first_name": r.first_name, "last_name": r.last_name, "owner": r.owner,
            "score": round(float(r.current), 6), "level": level_of(float(r.current), settings)} for r in rows]
    if level:  # the level is a band of the decayed score: filtered after ranking
        out = [r for r in out if r["level"] == level.value][offset:offset + limit]
    cursor = url = None
    if len(out) > paging.limit:
        out = out[:paging.limit]
        cursor = encode_cursor({"offset": offset + paging.limit, "at": at.isoformat(), "order": order.value,
                                "level": level.value if level else None})
        url = paging.link_next({"cursor": cursor, "limit": paging.limit, "order": order.value,
                                "level": level.value if level else None})
    return {"data": out, "next_cursor": cursor, "next": url}


async def report(*, uow: UnitOfWork, sequence_id: uuid.UUID | None, since: datetime | None,
                 until: datetime | None) -> list[dict[str, Any]]:
    """Per sequence, step and variant: messages sent, delivered (sent and not bounced), and how many of them were
    opened, clicked and replied to (distinct messages, from the timeline)."""
    for name, v in (("sent_after", since), ("sent_before", until)):
        if v is not None and v.tzinfo is None:
            raise BadRequest(f"`{name}` needs a UTC offset.", errors=[field_error(name, "needs a UTC offset")])
    counts, touches = await repository.report(uow.session, sequence_id=sequence_id, since=since, until=until)
    by_key = {(t.sequence_id, t.step_index, t.variant): t for t in touches}
    out = []
    for c in sorted(counts, key=lambda r: (str(r.sequence_id), r.step_index, r.variant or "")):
        t = by_key.get((c.sequence_id, c.step_index, c.variant))
        out.append({"sequence_id": c.sequence_id, "step_index": c.step_index, "variant": c.variant, "sent": c.sent,
                    "delivered": c.delivered, "opened": t.opened if t else 0, "clicked": t.clicked if t else 0,
                    "replied": t.replied if t else 0})
    return out


def prospect_ordering(descending: bool) -> Any:
    """`GET /v1/prospects?order=-engagement_score` (or `engagement_score`) for the shared profile routes:
    prospects by their score decayed to now; those who never engaged count as 0."""
    async def ordered(session: AsyncSession, request: Any, stmt: Any, offset: int, limit: int) -> list[Any]:
        stmt = repository.by_score(stmt, clock_of(request.app).now(), engagement_settings(request.app),
                                   descending=descending, offset=offset, limit=limit)
        return list((await session.execute(stmt)).scalars())
    return ordered
