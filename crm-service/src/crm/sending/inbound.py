"""What comes back: replies (auto-replies do not count) and bounces. Both are stop rules for the prospect."""
from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.errors import Conflict, NotFound

from crm.activities.service import record as record_activity
from crm.consent import service as consent
from crm.enrollments.service import exit_all
from crm.events import emit
from crm.sending.models import Message, MessageState

AUTO_SUBJECT = re.compile(r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|response)|auto:|"
                          r"abwesenheitsnotiz|r[ée]ponse automatique|respuesta autom[áa]tica|away from (the )?office)",
                          re.IGNORECASE)


def is_auto_reply(headers: Mapping[str, str], subject: str | None) -> bool:
    """RFC 3834 `Auto-Submitted` (anything but `no`), the common vendor headers, or an out-of-office subject."""
    h = {k.lower(): v.strip().lower() for k, v in headers.items()}
    if h.get("auto-submitted", "no") != "no":
        return True
    if "x-autoreply" in h or "x-autorespond" in h or h.get("x-auto-response-suppress", "") in ("all", "oof"):
        return True
    if h.get("precedence") in ("auto_reply", "bulk", "junk"):
        return True
    return bool(subject and AUTO_SUBJECT.match(subject))


async def get(session: AsyncSession, message_id: uuid.UUID, *, for_update: bool = False) -> Message:
    stmt = select(Message).where(Message.id == message_id)
    msg = (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()
    if msg is None:
        raise NotFound(f"No message with id {message_id}.")
    return msg


async def record_reply(session: AsyncSession, message_id: uuid.UUID, headers: Mapping[str, str], subject: str | None,
                       ctx: RequestContext | None, now: datetime) -> bool:
    """A reply to a message: a human one exits the prospect's enrollments (`replied`); an auto-reply is only
    noted. Returns True when it counted as a reply."""
    msg = await get(session, message_id)
    if is_auto_reply(headers, subject):
        await record_activity(session, msg.prospect_id, "auto_reply", f"Auto-reply: {subject or ''}".strip(),
                              data={"message_id": str(msg.id)}, actor=ctx.actor if ctx else None, at=now)
        return False
    await record_activity(session, msg.prospect_id, "message_replied", f"Replied: {subject or ''}".strip(),
                          data={"message_id": str(msg.id)}, actor=ctx.actor if ctx else None, at=now)
    await exit_all(session, msg.prospect_id, "reply", ctx)
    return True


async def record_bounce(session: AsyncSession, message_id: uuid.UUID, diagnostic: str | None, ctx: RequestContext | None,
                        now: datetime) -> Message:
    """A sent email bounced: the message is `bounced`, the email channel suppressed, enrollments exit (`bounced`).
    Emits `crm.message.bounced.v1`."""
    msg = await get(session, message_id, for_update=True)
    if msg.state == MessageState.BOUNCED:
        return msg
    if msg.state != MessageState.SENT or msg.channel != "email":
        raise Conflict(f"Only a sent email can bounce; this message is a {msg.state} {msg.channel}.", message_state=msg.state)
    msg.state, msg.error, msg.updated_at, msg.version = MessageState.BOUNCED, diagnostic, now, msg.version + 1
    await session.flush()
    await emit(session, ctx, "crm.message.bounced.v1", aggregate_id=msg.id, sequence=msg.version, topic="crm.messages",
               data={"message": msg.snapshot(), "diagnostic": diagnostic})
    await record_activity(session, msg.prospect_id, "message_bounced", f"Email bounced: {diagnostic or ''}".strip(),
                          data={"message_id": str(msg.id)}, actor=ctx.actor if ctx else None, at=now)
    await consent.suppress(session, msg.prospect_id, "email", "bounced", ctx)
    await exit_all(session, msg.prospect_id, "bounced", ctx)
    return msg
