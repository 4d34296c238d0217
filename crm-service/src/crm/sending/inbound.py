"""What comes back: replies (auto-replies do not count) and bounces. Both are stop rules for the prospect: a human
reply records `crm.message.replied.v1` and a bounce suppresses the address; the enrollments exit in reaction."""
from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from talentkit.auth import RequestContext
from talentkit.errors import NotFound, Unprocessable, field_error
from talentkit.pagination import Paging, iso
from talentkit.uow import UnitOfWork

from crm.activities import service as activities
from crm.consent import service as consent
from crm.sending import repository
from crm.sending.models import Message

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


async def get(*, uow: UnitOfWork, message_id: uuid.UUID, for_update: bool = False) -> Message:
    """The message, or 404."""
    msg = await repository.get(uow.session, message_id, for_update=for_update)
    if msg is None:
        raise NotFound(f"No message with id {message_id}.")
    return msg


async def list_messages(*, uow: UnitOfWork, paging: Paging, enrollment_id: uuid.UUID | None,
                        prospect_id: uuid.UUID | None, updated_after: datetime | None) -> dict[str, Any]:
    """A page of messages, oldest first."""
    stmt = repository.listing(enrollment_id=enrollment_id, prospect_id=prospect_id, updated_after=updated_after)
    return await paging.page(uow.session, stmt, created_col=Message.created_at, id_col=Message.id, filters={
        "enrollment_id": iso(enrollment_id), "prospect_id": iso(prospect_id), "updated_after": iso(updated_after)})


def _bracketed(mid: str) -> str:
    mid = mid.strip()
    return mid if mid.startswith("<") else f"<{mid}>"


async def find_answered(*, uow: UnitOfWork, message_id: str | None, in_reply_to: str | None,
                        references: str | None) -> Message:
    """The sent message an inbound email answers: by `message_id` (CRM id or Message-ID), `in_reply_to`, or the
    References header; 422 naming the field otherwise."""
    candidates: list[str] = []
    if message_id:
        try:
            if (found := await repository.get(uow.session, uuid.UUID(message_id.strip()))) is not None:
                return found
        except ValueError:
            candidates.append(_bracketed(message_id))
    if in_reply_to:
        candidates.append(_bracketed(in_reply_to))
    if references:
        candidates += [r if r.endswith(">") else f"{r}>" for r in references.replace(">", "> ").split() if r.startswith("<")]
    if candidates and (msg := await repository.by_header(uow.session, candidates)) is not None:
        return msg
    raise Unprocessable("No message the CRM sent matches this email.", errors=[
        field_error("message_id" if message_id else "in_reply_to", "matches no sent message", "unknown_message")])


async def record_reply(*, uow: UnitOfWork, message_id: uuid.UUID, headers: Mapping[str, str], subject: str | None,
                       from_address: str | None, ctx: RequestContext | None, now: datetime) -> bool:
    """A reply to a message: a human one records `crm.message.replied.v1` (the prospect's enrollments exit with
    reason `reply`); an auto-reply is only noted. True when it counted as a reply."""
    msg = await get(uow=uow, message_id=message_id, for_update=True)
    actor = ctx.actor if ctx else None
    if is_auto_reply(headers, subject):
        await activities.record(uow=uow, prospect_id=msg.prospect_id, kind="auto_reply",
                                summary=f"Auto-reply: {subject or ''}".strip(), data={"message_id": str(msg.id)},
                                actor=actor, at=now)
        return False
    msg.replied(now, from_address=from_address, subject=subject)
    await activities.record(uow=uow, prospect_id=msg.prospect_id, kind="message_replied",
                            summary=f"Replied: {subject or ''}".strip(), data={"message_id": str(msg.id)},
                            actor=actor, at=now)
    return True


async def record_bounce(*, uow: UnitOfWork, message_id: uuid.UUID, diagnostic: str | None, ctx: RequestContext | None,
                        now: datetime) -> Message:
    """A sent email bounced: the message is `bounced` (`crm.message.bounced.v1`), the email channel suppressed and
    the enrollments exit (`bounced`)."""
    msg = await get(uow=uow, message_id=message_id, for_update=True)
    if not msg.bounce(diagnostic, now):
        return msg
    await activities.record(uow=uow, prospect_id=msg.prospect_id, kind="message_bounced",
                            summary=f"Email bounced: {diagnostic or ''}".strip(), data={"message_id": str(msg.id)},
                            actor=ctx.actor if ctx else None, at=now)
    await consent.suppress(uow=uow, prospect_id=msg.prospect_id, channel="email", reason="bounced", ctx=ctx, now=now)
    return msg
