"""The scheduler: claims due steps and delivers claimed messages. Restart-safe by construction.

Two transactions per step:
1. claim: lock the due enrollment (`FOR UPDATE SKIP LOCKED`), check stop rules, consent and throttling, render, and
   insert the `messages` row (unique per enrollment and step) as `claimed`; commit.
2. deliver: lock one claimed message (`FOR UPDATE SKIP LOCKED`; the row lock is the lease), send it, mark it `sent`,
   advance the enrollment, emit `crm.message.sent.v1` and append `message_sent`; commit.

Delivery is **at least once** towards the mail server, exactly once in our records: a crash before the SMTP
server accepts leaves the row `claimed` and the next pass sends it (never skipped); a crash after the server
accepted but before the commit re-sends it with the *same* Message-ID (`<message id@domain>`), which receiving
servers and clients use to drop the duplicate. We chose this over at-most-once because a skipped nurture step is
silent data loss, while a duplicate carries an identical Message-ID and can be recognised. The database never
holds two messages for one step, nor two `sent` events."""
from __future__ import annotations

import asyncio
import logging
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.activities.service import record as record_activity
from crm.consent import service as consent
from crm.enrollments import service as enrollments
from crm.enrollments.models import Enrollment, EnrollmentStatus
from crm.events import emit
from crm.prospects.models import Prospect
from crm.sending.config import SendingSettings
from crm.sending.mailer import (
    HttpSmsSender,
    Mailer,
    SmsSender,
    SmtpMailer,
    build_email,
    message_id_header,
)
from crm.sending.models import Message, MessageState
from crm.sequences.clock import Clock, clock_of
from crm.sequences.models import Sequence, SequenceVersion
from crm.sequences.personalize import choose_variant, render
from crm.sequences.schedule import start_of_next_day

log = logging.getLogger("crm.scheduler")
ACTOR = "scheduler"
TOPIC = "crm.messages"
SENDING = (MessageState.CLAIMED, MessageState.SENT, MessageState.BOUNCED)


@dataclass
class Scheduler:
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: SendingSettings
    clock: Clock
    mailer: Mailer | None = None
    sms: SmsSender | None = None
    batch: int = 50
    _failed: set[uuid.UUID] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.mailer = self.mailer or SmtpMailer(self.settings)
        self.sms = self.sms or HttpSmsSender(self.settings)

    async def run_once(self) -> tuple[int, int]:
        """One pass: claim what is due, then deliver everything claimed (including leftovers of a crash)."""
        claimed = await self.claim_due()
        return claimed, await self.deliver_claimed()

    # -- 1. claim -------------------------------------------------------------------------------------------
    async def claim_due(self) -> int:
        """Claim the steps due now; returns how many messages were claimed."""
        count = 0
        async with self.sessionmaker() as s, s.begin():
            now = self.clock.now()
            due = (await s.execute(select(Enrollment).where(
                Enrollment.status.in_((EnrollmentStatus.SCHEDULED, EnrollmentStatus.ACTIVE)), Enrollment.next_due_at <= now)
                .order_by(Enrollment.next_due_at).limit(self.batch).with_for_update(skip_locked=True))).scalars().all()
            for e in due:
                count += await self._claim(s, e, now)
        return count

    async def _claim(self, s: AsyncSession, e: Enrollment, now: datetime) -> int:
        already = (await s.execute(select(Message).where(Message.enrollment_id == e.id, Message.step_index == e.next_step))
                   ).scalar_one_or_none()
        if already is not None and already.state in SENDING:
            return 0  # claimed earlier; delivery owns it
        seq = await s.get(Sequence, e.sequence_id)
        version = (await s.execute(select(SequenceVersion).where(
            SequenceVersion.sequence_id == e.sequence_id, SequenceVersion.number == e.sequence_version))).scalar_one()
        step = version.steps[e.next_step]
        kind = step["kind"]
        prospect = await s.get(Prospect, e.prospect_id)
        assert seq is not None and prospect is not None
        recipient: str | None = None
        if kind in ("email", "sms"):
            if reason := await consent.verdict(s, e.prospect_id, kind, now):
                await enrollments.exit_one(s, e, reason, None, now)
                return 0
            addresses = prospect.emails if kind == "email" else prospect.phones
            recipient = addresses[0] if addresses else None
            if recipient is None:
                await enrollments.exit_one(s, e, f"no_{'email' if kind == 'email' else 'phone'}", None, now)
                return 0
        sender = seq.sender_mailbox or self.settings.mail_from
        if kind == "email" and (later := await self._throttled(s, seq, sender, now, version, e)):
            e.defer(later)
            return 0
        variant_name, subject, body = None, step.get("subject"), step["body"]
        if step.get("variants"):
            i = choose_variant(e.id, e.next_step, [v.get("weight", 1) for v in step["variants"]])
            v = step["variants"][i]
            variant_name, subject, body = v["name"], v.get("subject") or subject, v["body"]
        variables = {"first_name": prospect.first_name, "last_name": prospect.last_name,
                     "email": prospect.emails[0] if prospect.emails else None, **(e.variables or {})}
        body_text, missing = render(body, variables)
        subject_text, missing_subject = render(subject, variables) if subject else ("", [])
        missing = list(dict.fromkeys(missing_subject + missing))
        msg = already or Message(id=uuid.uuid4(), enrollment_id=e.id, prospect_id=e.prospect_id, sequence_id=e.sequence_id,
                                 step_index=e.next_step, channel=kind)
        msg.variant, msg.sender, msg.recipient, msg.claimed_at, msg.updated_at = variant_name, sender, recipient, now, now
        if missing:
            msg.state, msg.missing_tokens = MessageState.BLOCKED, missing
            msg.error = f"missing personalization tokens: {', '.join(missing)}"
            if already is None:
                s.add(msg)
            e.pause(f"blocked: missing tokens {', '.join(missing)}", ACTOR)
            await s.flush()
            await record_activity(s, e.prospect_id, "message_blocked", f"Step {e.next_step + 1} blocked: {msg.error}",
                                  data={"enrollment_id": str(e.id), "message_id": str(msg.id), "missing_tokens": missing},
                                  actor=ACTOR, at=now)
            return 0
        msg.state, msg.missing_tokens, msg.error = MessageState.CLAIMED, [], None
        msg.subject, msg.body = subject_text or None, body_text
        msg.message_id_header = message_id_header(str(msg.id), sender) if kind == "email" else None
        if already is None:
            s.add(msg)
        await s.flush()
        return 1

    async def _throttled(self, s: AsyncSession, seq: Sequence, sender: str, now: datetime, version: SequenceVersion,
                         e: Enrollment) -> datetime | None:
        """When the sender mailbox may send next, if not now (daily cap per UTC day, minimum gap)."""
        if not seq.daily_cap and not seq.min_gap_seconds:
            return None
        # One claimer per mailbox at a time, so two workers cannot both take the last slot.
        await s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(f"mailbox:{sender}".encode())})
        if seq.daily_cap:
            day_start = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
            used = await s.scalar(select(func.count()).select_from(Message).where(
                Message.sender == sender, Message.channel == "email", Message.state.in_(SENDING),
                Message.claimed_at >= day_start))
            if (used or 0) >= seq.daily_cap:
                return max(day_start + timedelta(days=1),
                           start_of_next_day(now, version.window(), ZoneInfo(e.timezone), version.holiday_dates()))
        if seq.min_gap_seconds:
            last = await s.scalar(select(func.max(Message.claimed_at)).where(
                Message.sender == sender, Message.channel == "email", Message.state.in_(SENDING)))
            if last is not None and now < last + timedelta(seconds=seq.min_gap_seconds):
                return last + timedelta(seconds=seq.min_gap_seconds)
        return None

    # -- 2. deliver -----------------------------------------------------------------------------------------
    async def deliver_claimed(self) -> int:
        """Send every claimed message not locked by another worker; returns how many were sent."""
        sent = 0
        self._failed.clear()
        while True:
            async with self.sessionmaker() as s, s.begin():
                stmt = select(Message).where(Message.state == MessageState.CLAIMED)
                if self._failed:
                    stmt = stmt.where(Message.id.not_in(self._failed))
                msg = (await s.execute(stmt.order_by(Message.claimed_at).limit(1).with_for_update(skip_locked=True))
                       ).scalar_one_or_none()
                if msg is None:
                    return sent
                try:
                    sent += await self._deliver(s, msg)
                except Exception as exc:  # noqa: BLE001 - transient: the row stays claimed and is retried next pass
                    log.warning("delivery failed; will retry", extra={"message_id": str(msg.id), "error": repr(exc)})
                    self._failed.add(msg.id)
                    await s.rollback()

    async def _deliver(self, s: AsyncSession, msg: Message) -> int:
        now = self.clock.now()
        e = (await s.execute(select(Enrollment).where(Enrollment.id == msg.enrollment_id).with_for_update())).scalar_one()
        if e.status not in (EnrollmentStatus.SCHEDULED, EnrollmentStatus.ACTIVE) or e.next_step != msg.step_index:
            msg.state, msg.updated_at = MessageState.CANCELLED, now  # paused or exited after the claim
            return 0
        if msg.channel == "email":
            assert self.mailer is not None
            await self.mailer.send(build_email(message_id=str(msg.id), prospect_id=str(msg.prospect_id), sender=msg.sender or "",
                                               to=msg.recipient or "", subject=msg.subject or "", body=msg.body or "",
                                               sent_at=now, settings=self.settings))
        elif msg.channel == "sms":
            assert self.sms is not None
            await self.sms.send(message_id=str(msg.id), to=msg.recipient or "", body=msg.body or "")
        msg.state, msg.sent_at, msg.updated_at, msg.attempts = MessageState.SENT, now, now, msg.attempts + 1
        msg.version += 1
        version = (await s.execute(select(SequenceVersion).where(
            SequenceVersion.sequence_id == e.sequence_id, SequenceVersion.number == e.sequence_version))).scalar_one()
        nxt = e.next_step + 1
        e.step_done(now, version.step_due(nxt, now, ZoneInfo(e.timezone)) if nxt < len(version.steps) else None, ACTOR)
        await s.flush()
        if msg.channel in ("email", "sms"):
            await emit(s, None, "crm.message.sent.v1", aggregate_id=msg.id, sequence=msg.version, topic=TOPIC,
                       data={"message": msg.snapshot()})
        kind = "message_sent" if msg.channel != "task" else "task_due"
        summary = f"Sent {msg.channel} step {msg.step_index + 1}" + (f": {msg.subject}" if msg.subject else "")
        await record_activity(s, msg.prospect_id, kind, summary if msg.channel != "task" else f"Task: {msg.body}",
                              data={"message_id": str(msg.id), "enrollment_id": str(e.id), "step_index": msg.step_index,
                                    "channel": msg.channel, "variant": msg.variant}, actor=ACTOR, at=now)
        return 1


def sending_settings(app: FastAPI) -> SendingSettings:
    """The app's sending settings (`app.state.sending_settings`), read from the environment once."""
    if getattr(app.state, "sending_settings", None) is None:
        app.state.sending_settings = SendingSettings()
    return app.state.sending_settings  # type: ignore[no-any-return]


async def sequence_scheduler(app: FastAPI) -> None:
    """Worker: run a scheduler pass every `CRM_SCHEDULER_POLL_SECONDS` while `CRM_SCHEDULER_ENABLED`."""
    while True:
        settings = sending_settings(app)
        try:
            if settings.scheduler_enabled:
                await Scheduler(app.state.sessionmaker, settings, clock_of(app),
                                mailer=getattr(app.state, "crm_mailer", None), sms=getattr(app.state, "crm_sms", None)).run_once()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduler pass failed")
        await asyncio.sleep(settings.scheduler_poll_seconds)


__all__: list[Any] = ["Scheduler", "sequence_scheduler"]
