"""Tracking use cases. Every token is verified for its purpose and expiry (`crm.signing`); an unverifiable token
never records anything, and a click never redirects anywhere but a link recorded on that message when it was sent.
The message records what happened (`crm.message.opened/clicked/replied.v1`); the score follows."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from talentkit.auth import RequestContext
from talentkit.errors import NotFound
from talentkit.uow import UnitOfWork

from crm.activities import service as activities
from crm.consent import service as consent
from crm.consent.models import SuppressionReason
from crm.engagement import service as engagement
from crm.engagement.config import EngagementSettings
from crm.prospects.service import prospects
from crm.reactions import enrollments_ended_now
from crm.sending import inbound
from crm.sending import repository as messages
from crm.sending.models import TRACKED, Message
from crm.signing import Purpose, Signer, TokenExpired, TokenInvalid
from crm.tracking import repository


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


async def _tracked_message(uow: UnitOfWork, message_id: str) -> Message | None:
    """The sent message, locked, while its prospect is not erased."""
    msg = await messages.get(uow.session, uuid.UUID(message_id), for_update=True)
    if msg is None or msg.state not in TRACKED:
        return None
    prospect = await prospects.repo.get(uow.session, msg.prospect_id)
    return msg if prospect is not None and prospect.status != "erased" else None


async def open_pixel(*, uow: UnitOfWork, signer: Signer, token: str, now: datetime, settings: EngagementSettings) -> bool:
    """Count an open; the first one of a message appends `message_opened` and records `crm.message.opened.v1`.
    Returns False (and records nothing) for an unverifiable or expired token or an unknown message."""
    try:
        p = message_token(signer, Purpose.OPEN, token, now)
    except (NotFound, TokenExpired):
        return False
    msg = await _tracked_message(uow, p["m"])
    if msg is None:
        return False
    row = await repository.counters(uow.session, msg)
    row.opens += 1
    row.last_opened_at, row.updated_at = now, now
    if row.opens == 1:
        row.first_opened_at = now
        msg.opened(now, row.opens)
        await activities.record(uow=uow, prospect_id=msg.prospect_id, kind="message_opened",
                                summary=f"Opened email step {msg.step_index + 1}" + (f": {msg.subject}" if msg.subject else ""),
                                data={"message_id": str(msg.id), "step_index": msg.step_index, "variant": msg.variant},
                                actor="tracking", at=now)
        await engagement.refresh(uow=uow, prospect_id=msg.prospect_id, now=now, settings=settings)
    await uow.flush()
    return True


async def click(*, uow: UnitOfWork, signer: Signer, token: str, now: datetime, settings: EngagementSettings) -> str:
    """The URL to redirect to: the recorded link the token names. 404 unless the token is ours and names a link of
    the message. The first click on each link appends `message_clicked` and records `crm.message.clicked.v1`."""
    p = message_token(signer, Purpose.CLICK, token, now)
    index = p.get("l")
    msg = await _tracked_message(uow, p["m"]) if isinstance(index, int) and not isinstance(index, bool) else None
    links = (msg.links or []) if msg is not None else []
    if msg is None or not isinstance(index, int) or not 0 <= index < len(links) \
            or not links[index].lower().startswith(("http://", "https://")):
        raise NotFound("Unknown or invalid link.")
    url = links[index]
    row = await repository.counters(uow.session, msg)
    urls = dict(row.clicked_urls or {})
    first = url not in urls
    urls[url] = urls.get(url, 0) + 1
    row.clicked_urls, row.clicks = urls, row.clicks + 1
    row.first_clicked_at, row.last_clicked_at, row.updated_at = row.first_clicked_at or now, now, now
    if first:
        msg.clicked(url, now, row.clicks)
        await activities.record(uow=uow, prospect_id=msg.prospect_id, kind="message_clicked", summary=f"Clicked {url}",
                                data={"message_id": str(msg.id), "url": url, "step_index": msg.step_index,
                                      "variant": msg.variant}, actor="tracking", at=now)
        await engagement.refresh(uow=uow, prospect_id=msg.prospect_id, now=now, settings=settings)
    await uow.flush()
    return url


async def unsubscribe_target(*, uow: UnitOfWork, signer: Signer, token: str, now: datetime) -> tuple[Message, bool]:
    """The message an unsubscribe token names, and whether its prospect already left email; 404 for a token that is
    not ours or a prospect that is gone."""
    p = message_token(signer, Purpose.UNSUBSCRIBE, token, now)
    msg = await messages.get(uow.session, uuid.UUID(p["m"]))
    if msg is None or str(msg.prospect_id) != str(p.get("p")) or await prospects.live(uow.session, msg.prospect_id) is None:
        raise NotFound("Unknown or invalid unsubscribe link.")
    left = SuppressionReason.UNSUBSCRIBED in await consent.suppressions(uow=uow, prospect_id=msg.prospect_id, channel="email")
    return msg, left


async def unsubscribe(*, uow: UnitOfWork, signer: Signer, token: str, now: datetime) -> dict[str, Any]:
    """One-click unsubscribe: the `unsubscribed` email suppression; every running enrollment exits
    (`unsubscribed`). Repeating it changes nothing. 404 for an unverifiable token."""
    msg, _ = await unsubscribe_target(uow=uow, signer=signer, token=token, now=now)
    if await consent.suppress(uow=uow, prospect_id=msg.prospect_id, channel="email", reason="unsubscribed", ctx=None, now=now):
        await activities.record(uow=uow, prospect_id=msg.prospect_id, kind="unsubscribed",
                                summary="Unsubscribed from emails (link in a message)", data={"message_id": str(msg.id)},
                                actor="tracking", at=now)
    return {"prospect_id": msg.prospect_id, "unsubscribed": True,
            "enrollments_exited": await enrollments_ended_now(uow, msg.prospect_id, None)}


async def inbound_email(*, uow: UnitOfWork, body: dict[str, Any], ctx: RequestContext, now: datetime,
                        settings: EngagementSettings) -> dict[str, Any]:
    """A reply webhook, by the sending module's reply rule: an auto-reply is noted (`auto_reply`) and changes
    nothing; a human reply records `crm.message.replied.v1`, exits the enrollments (reason `reply`) and updates
    the score."""
    headers = {str(k): str(v) for k, v in (body.get("headers") or {}).items()}
    lower = {k.lower(): v for k, v in headers.items()}
    msg = await inbound.find_answered(uow=uow, message_id=body.get("message_id"),
                                      in_reply_to=body.get("in_reply_to") or lower.get("in-reply-to"),
                                      references=lower.get("references"))
    counted = await inbound.record_reply(uow=uow, message_id=msg.id, headers=headers, subject=body.get("subject"),
                                         from_address=body.get("from_address"), ctx=ctx, now=now)
    if counted:
        await engagement.refresh(uow=uow, prospect_id=msg.prospect_id, now=now, settings=settings)
    return {"message_id": msg.id, "prospect_id": msg.prospect_id, "counted": counted, "auto_reply": not counted}


async def page_visit(*, uow: UnitOfWork, prospect_id: uuid.UUID, url: str, at: datetime | None, ctx: RequestContext,
                     now: datetime, settings: EngagementSettings) -> dict[str, Any]:
    """Append `page_visit` (the prospect records `crm.prospect.page_visited.v1`) and update the score."""
    prospect = await prospects.writable(uow.session, prospect_id)
    visited = at or now
    prospect.visited(url=url, at=visited)
    activity = await activities.record(uow=uow, prospect_id=prospect_id, kind="page_visit", summary=f"Visited {url}",
                                       data={"url": url}, actor=ctx.actor, at=visited)
    await engagement.refresh(uow=uow, prospect_id=prospect_id, now=now, settings=settings)
    return {"id": activity.id, "prospect_id": prospect_id, "kind": "page_visit", "url": url, "occurred_at": visited}
