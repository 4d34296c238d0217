"""Tracking use cases. Every token is verified for its purpose and expiry (`crm.signing`); an unverifiable token
never records anything, and a click never redirects anywhere but a link recorded on that message when it was sent."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.errors import NotFound, Unprocessable, field_error

from crm.activities.service import record as record_activity
from crm.consent import service as consent
from crm.consent.models import SuppressionReason
from crm.engagement import service as engagement
from crm.engagement.config import EngagementSettings
from crm.enrollments.service import exit_all
from crm.events import emit
from crm.prospects.service import prospects
from crm.sending import inbound
from crm.sending.models import Message, MessageState
from crm.signing import Purpose, Signer, TokenExpired, TokenInvalid
from crm.tracking.models import MessageEngagement

TOPIC = "crm.messages"
SENT = (MessageState.SENT, MessageState.BOUNCED)


def message_token(signer: Signer, purpose: Purpose, token: str, now: datetime) -> dict[str, Any]:
    """The data of a message token of `purpose` (with a message id); 404 when it is not ours. An expired genuine
    token raises `TokenExpired` (the routes answer a page saying so)."""
    try:
        p = signer.verify(purpose, token, now=now)
    except TokenExpired:
        raise
    except TokenInvalid:
        raise NotFound("Unknown or invalid link.") from None
    try:
        uuid.UUID(str(p.get("m")))
    except ValueError:
        raise NotFound("Unknown or invalid link.") from None
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


async def _tracked_message(session: AsyncSession, message_id: str) -> Message | None:
    """The sent message, locked, when its prospect still accepts engagement (not erased)."""
    msg = await _locked_message(session, message_id)
    if msg is None or msg.state not in SENT:
        return None
    prospect = await prospects.repo.get(session, msg.prospect_id)
    return msg if prospect is not None and prospect.status != "erased" else None


async def open_pixel(session: AsyncSession, signer: Signer, token: str, now: datetime, settings: EngagementSettings) -> bool:
    """Count an open; the first one of a message appends `message_opened` and emits `crm.message.opened.v1`.
    Returns False (and records nothing) for an unverifiable or expired token or an unknown message."""
    try:
        p = message_token(signer, Purpose.OPEN, token, now)
    except (NotFound, TokenExpired):
        return False
    msg = await _tracked_message(session, p["m"])
    if msg is None:
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


async def click(session: AsyncSession, signer: Signer, token: str, now: datetime, settings: EngagementSettings) -> str:
    """The URL to redirect to: the recorded link the token names. 404 unless the token is ours and names a link of
    the message. The first click on each link appends `message_clicked` and emits `crm.message.clicked.v1`."""
    p = message_token(signer, Purpose.CLICK, token, now)
    index = p.get("l")
    msg = await _tracked_message(session, p["m"]) if isinstance(index, int) and not isinstance(index, bool) else None
    links = (msg.links or []) if msg is not None else []
    if msg is None or not 0 <= index < len(links) or not links[index].lower().startswith(("http://", "https://")):
        raise NotFound("Unknown or invalid link.")
    url = links[index]
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


async def unsubscribe_target(session: AsyncSession, signer: Signer, token: str, now: datetime) -> tuple[Message, bool]:
    """The message an unsubscribe token names, and whether its prospect already left email; 404 for a token that is
    not ours or a prospect that is gone."""
    p = message_token(signer, Purpose.UNSUBSCRIBE, token, now)
    try:
        msg = await inbound.get(session, uuid.UUID(p["m"]))
    except NotFound:
        msg = None
    if msg is None or str(msg.prospect_id) != str(p.get("p")) or await prospects.live(session, msg.prospect_id) is None:
        raise NotFound("Unknown or invalid unsubscribe link.")
    left = SuppressionReason.UNSUBSCRIBED in await consent.suppressions(session, msg.prospect_id, "email")
    return msg, left


async def unsubscribe(session: AsyncSession, signer: Signer, token: str, now: datetime) -> dict[str, Any]:
    """One-click unsubscribe: the `unsubscribed` email suppression (consent service) and every running
    enrollment exits (`unsubscribed`). Repeating it changes nothing. 404 for an unverifiable token."""
    msg, _ = await unsubscribe_target(session, signer, token, now)
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
    prospect = await prospects.writable(session, prospect_id)
    visited = at or now
    activity = await record_activity(session, prospect_id, "page_visit", f"Visited {url}", data={"url": url},
                                     actor=ctx.actor, at=visited)
    await emit(session, ctx, "crm.prospect.page_visited.v1", aggregate_id=prospect_id, sequence=prospect.version,
               data={"prospect_id": prospect_id, "url": url, "visited_at": visited})
    await engagement.refresh(session, prospect_id, now, settings, ctx)
    return {"id": activity.id, "prospect_id": prospect_id, "kind": "page_visit", "url": url, "occurred_at": visited}
