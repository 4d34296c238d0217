"""Tracking use cases. Every token is verified with the sending module's HMAC (`crm.sending.tracking.verify`);
an unverifiable token never records anything and a click never redirects anywhere but a URL of that message."""
from __future__ import annotations

import html
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.errors import NotFound, Unprocessable, field_error

from crm.activities.service import record as record_activity
from crm.consent import service as consent
from crm.engagement import service as engagement
from crm.engagement.config import EngagementSettings
from crm.enrollments.service import exit_all
from crm.events import emit
from crm.prospects.models import Prospect
from crm.sending import inbound
from crm.sending.models import Message, MessageState
from crm.sending.tracking import HREF, URL, verify
from crm.tracking.models import MessageEngagement

TOPIC = "crm.messages"
SENT = (MessageState.SENT, MessageState.BOUNCED)


def _payload(secret: str, token: str, kind: str) -> dict[str, Any] | None:
    """The verified payload of a `kind` token (`o`, `c`, `u`) with a message id, else None."""
    p = verify(secret, token)
    if not isinstance(p, dict) or p.get("k") != kind or not isinstance(p.get("m"), str):
        return None
    try:
        uuid.UUID(p["m"])
    except ValueError:
        return None
    return p


async def _locked_message(session: AsyncSession, message_id: str) -> Message | None:
    return (await session.execute(select(Message).where(Message.id == uuid.UUID(message_id)).with_for_update())
            ).scalar_one_or_none()


async def _counters(session: AsyncSession, msg: Message) -> MessageEngagement:
    row = await session.get(MessageEngagement, msg.id)
    if row is None:
        row = MessageEngagement(message_id=msg.id, prospect_id=msg.prospect_id, opens=0, clicks=0, clicked_urls={})
        session.add(row)
    return row


def _bump(msg: Message, now: datetime) -> None:
    """A tracked event is a change of the message aggregate: its events get the next sequence."""
    msg.version, msg.updated_at = msg.version + 1, now


def recorded_urls(body: str | None) -> set[str]:
    """The links of a message as it was sent (the exact strings the Tracker rewrote)."""
    if not body:
        return set()
    return set(URL.findall(body)) | {html.unescape(m.group(2)) for m in HREF.finditer(body)}


async def open_pixel(session: AsyncSession, secret: str, token: str, now: datetime, settings: EngagementSettings) -> bool:
    """Count an open; the first one of a message appends `message_opened` and emits `crm.message.opened.v1`.
    Returns False (and records nothing) for an unverifiable token or an unknown message."""
    p = _payload(secret, token, "o")
    msg = await _locked_message(session, p["m"]) if p else None
    if msg is None or msg.state not in SENT:
        return False
    row = await _counters(session, msg)
    row.opens += 1
    row.last_opened_at, row.updated_at = now, now
    if row.opens == 1:
        row.first_opened_at = now
        _bump(msg, now)
        await session.flush()
        await emit(session, None, "crm.message.opened.v1", aggregate_id=msg.id, sequence=msg.version, topic=TOPIC,
                   data={"message": msg.snapshot(), "opened_at": now, "opens": row.opens})
        await record_activity(session, msg.prospect_id, "message_opened",
                              f"Opened email step {msg.step_index + 1}" + (f": {msg.subject}" if msg.subject else ""),
                              data={"message_id": str(msg.id), "step_index": msg.step_index, "variant": msg.variant},
                              actor="tracking", at=now)
        await engagement.refresh(session, msg.prospect_id, now, settings, None)
    await session.flush()
    return True


async def click(session: AsyncSession, secret: str, token: str, now: datetime, settings: EngagementSettings) -> str:
    """The URL to redirect to. 404 unless the token is ours and its URL is one the message contained. The first
    click on each link appends `message_clicked` and emits `crm.message.clicked.v1`; repeats are counted."""
    p = _payload(secret, token, "c")
    url = p.get("u") if p else None
    msg = await _locked_message(session, p["m"]) if p and isinstance(url, str) else None
    if msg is None or msg.state not in SENT or url not in recorded_urls(msg.body) \
            or not url.lower().startswith(("http://", "https://")):
        raise NotFound("Unknown or invalid link.")
    row = await _counters(session, msg)
    urls = dict(row.clicked_urls or {})
    first = url not in urls
    urls[url] = urls.get(url, 0) + 1
    row.clicked_urls, row.clicks = urls, row.clicks + 1
    row.first_clicked_at, row.last_clicked_at, row.updated_at = row.first_clicked_at or now, now, now
    if first:
        _bump(msg, now)
        await session.flush()
        await emit(session, None, "crm.message.clicked.v1", aggregate_id=msg.id, sequence=msg.version, topic=TOPIC,
                   data={"message": msg.snapshot(), "url": url, "clicked_at": now, "clicks": row.clicks})
        await record_activity(session, msg.prospect_id, "message_clicked", f"Clicked {url}",
                              data={"message_id": str(msg.id), "url": url, "step_index": msg.step_index,
                                    "variant": msg.variant}, actor="tracking", at=now)
        await engagement.refresh(session, msg.prospect_id, now, settings, None)
    await session.flush()
    return url


async def unsubscribe(session: AsyncSession, secret: str, token: str, now: datetime) -> dict[str, Any]:
    """One-click unsubscribe: the `unsubscribed` email suppression (consent service) and every running
    enrollment exits (`unsubscribed`). Repeating it changes nothing. 404 for an unverifiable token."""
    p = _payload(secret, token, "u")
    msg = await inbound.get(session, uuid.UUID(p["m"])) if p and isinstance(p.get("p"), str) else None
    if msg is None or p is None or str(msg.prospect_id) != p["p"]:
        raise NotFound("Unknown or invalid unsubscribe link.")
    added = await consent.suppress(session, msg.prospect_id, "email", "unsubscribed", None)
    exited = await exit_all(session, msg.prospect_id, "unsubscribed", None)
    if added:
        await record_activity(session, msg.prospect_id, "unsubscribed", "Unsubscribed from emails (link in a message)",
                              data={"message_id": str(msg.id)}, actor="tracking", at=now)
    return {"prospect_id": msg.prospect_id, "unsubscribed": True, "enrollments_exited": len(exited)}


def _bracketed(mid: str) -> str:
    mid = mid.strip()
    return mid if mid.startswith("<") else f"<{mid}>"


async def find_message(session: AsyncSession, *, message_id: str | None, in_reply_to: str | None,
                       references: str | None) -> Message:
    """The sent message an inbound email answers: by `message_id` (CRM id or Message-ID), `in_reply_to`, or the
    References header; 422 naming the field otherwise."""
    candidates: list[str] = []
    if message_id:
        try:
            found = await session.get(Message, uuid.UUID(message_id.strip()))
            if found is not None:
                return found
        except ValueError:
            candidates.append(_bracketed(message_id))
    if in_reply_to:
        candidates.append(_bracketed(in_reply_to))
    if references:
        candidates += [r if r.endswith(">") else f"{r}>" for r in references.replace(">", "> ").split() if r.startswith("<")]
    if candidates:
        msg = (await session.execute(select(Message).where(Message.message_id_header.in_(candidates))
                                     .order_by(Message.sent_at.desc().nulls_last()).limit(1))).scalar_one_or_none()
        if msg is not None:
            return msg
    field = "message_id" if message_id else "in_reply_to"
    raise Unprocessable("No message the CRM sent matches this email.",
                        errors=[field_error(field, "matches no sent message", "unknown_message")])


async def inbound_email(session: AsyncSession, body: dict[str, Any], ctx: RequestContext, now: datetime,
                        settings: EngagementSettings) -> dict[str, Any]:
    """A reply webhook. Reuses the sending module's reply rule (`inbound.record_reply`): an auto-reply is noted
    (`auto_reply`) and changes nothing; a human reply appends `message_replied` and exits the enrollments
    (reason `replied`). A counted reply also emits `crm.message.replied.v1` and updates the score."""
    headers = {str(k): str(v) for k, v in (body.get("headers") or {}).items()}
    lower = {k.lower(): v for k, v in headers.items()}
    msg = await find_message(session, message_id=body.get("message_id"),
                             in_reply_to=body.get("in_reply_to") or lower.get("in-reply-to"),
                             references=lower.get("references"))
    counted = await inbound.record_reply(session, msg.id, headers, body.get("subject"), ctx, now)
    if counted:
        locked = await _locked_message(session, str(msg.id))
        assert locked is not None
        _bump(locked, now)
        await session.flush()
        await emit(session, ctx, "crm.message.replied.v1", aggregate_id=locked.id, sequence=locked.version, topic=TOPIC,
                   data={"message": locked.snapshot(), "replied_at": now, "from_address": body.get("from_address"),
                         "subject": body.get("subject")})
        await engagement.refresh(session, msg.prospect_id, now, settings, ctx)
    return {"message_id": msg.id, "prospect_id": msg.prospect_id, "counted": counted, "auto_reply": not counted}


async def page_visit(session: AsyncSession, prospect_id: uuid.UUID, url: str, at: datetime | None, ctx: RequestContext,
                     now: datetime, settings: EngagementSettings) -> dict[str, Any]:
    """Append `page_visit`, emit `crm.prospect.page_visited.v1`, update the score."""
    prospect = await session.get(Prospect, prospect_id)
    if prospect is None:
        raise NotFound(f"No prospect with id {prospect_id}.")
    visited = at or now
    activity = await record_activity(session, prospect_id, "page_visit", f"Visited {url}", data={"url": url},
                                     actor=ctx.actor, at=visited)
    await emit(session, ctx, "crm.prospect.page_visited.v1", aggregate_id=prospect_id, sequence=prospect.version,
               data={"prospect_id": prospect_id, "url": url, "visited_at": visited})
    await engagement.refresh(session, prospect_id, now, settings, ctx)
    return {"id": activity.id, "prospect_id": prospect_id, "kind": "page_visit", "url": url, "occurred_at": visited}
