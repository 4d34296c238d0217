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
holds two messages for one step, nor two `sent` events.

A send the mail server or SMS provider refuses counts as an attempt and waits out a backoff (base × 4^(n-1)); after
`CRM_SEND_MAX_ATTEMPTS` it is parked as `failed` with its error, the enrollment exits (`send_failed`) and the
prospect's owner gets an alert: nothing is retried forever. The same pass sends the double opt-in confirmation
mails of the talent-community form."""
from __future__ import annotations

import asyncio
import logging
import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.activities.service import record as record_activity
from crm.alerts.service import raise_alert
from crm.consent import service as consent
from crm.consent.models import ConsentRequest
from crm.enrollments import service as enrollments
from crm.enrollments.models import Enrollment, EnrollmentStatus
from crm.events import emit
from crm.prospects.models import Prospect
from crm.sending.config import SendingSettings
from crm.sending.content import compose
from crm.sending.mailer import (
    HttpSmsSender,
    Mailer,
    SmsSender,
    SmtpMailer,
    build_email,
    build_transactional,
    message_id_header,
)
from crm.sending.models import Message, MessageState
from crm.sending.tracking import Tracker
from crm.sequences.clock import Clock, clock_of
from crm.sequences.models import Sequence, SequenceVersion
from crm.sequences.personalize import choose_variant, fill, missing_tokens
from crm.sequences.schedule import start_of_next_day
from crm.signing import Purpose

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

    def __post_init__(self) -> None:
        self.mailer = self.mailer or SmtpMailer(self.settings)
        self.sms = self.sms or HttpSmsSender(self.settings)

    async def run_once(self) -> tuple[int, int]:
        """One pass: claim what is due, then deliver everything claimed (including leftovers of a crash)."""
        claimed = await self.claim_due()
        sent = await self.deliver_claimed()
        await self.deliver_confirmations()
        return claimed, sent

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
        variant_name, subject, body, body_html = None, step.get("subject"), step["body"], step.get("body_html")
        if step.get("variants"):
            i = choose_variant(e.id, e.next_step, [v.get("weight", 1) for v in step["variants"]])
            v = step["variants"][i]
            variant_name, subject, body, body_html = v["name"], v.get("subject") or subject, v["body"], v.get("body_html")
        variables = {"first_name": prospect.first_name, "last_name": prospect.last_name,
                     "email": prospect.emails[0] if prospect.emails else None, **(e.variables or {})}
        missing = missing_tokens([subject, body, body_html] if kind == "email" else [body], variables)
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
        msg.state, msg.missing_tokens, msg.error, msg.attempts, msg.next_attempt_at = MessageState.CLAIMED, [], None, 0, None
        if kind == "email":
            tracker = Tracker(self.settings.public_base_url, self.settings.signer(), str(msg.id), str(e.prospect_id), now)
            content = compose(subject=subject, body=body, body_html=body_html, variables=variables, click=tracker.click)
            msg.subject, msg.body, msg.body_html, msg.links = content.subject or None, content.text, content.html, content.links
        else:  # an SMS or a task is plain text
            msg.subject, msg.body, msg.body_html, msg.links = None, fill(body, variables), None, []
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
    def retry_delay(self, attempts: int) -> timedelta:
        """The backoff after the `attempts`-th failed send: base × 4^(attempts-1), at most six hours."""
        return timedelta(seconds=min(self.settings.send_retry_base_seconds * 4 ** (attempts - 1), 6 * 3600))

    async def deliver_claimed(self) -> int:
        """Send every claimed message that is due (not waiting out a backoff) and not locked by another worker;
        returns how many were sent. A failed send counts as an attempt; see `_failed_attempt`."""
        sent, tried = 0, set()
        while True:
            failure: Exception | None = None
            async with self.sessionmaker() as s, s.begin():
                now = self.clock.now()
                stmt = select(Message).where(Message.state == MessageState.CLAIMED,
                                             or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now))
                if tried:
                    stmt = stmt.where(Message.id.not_in(tried))
                msg = (await s.execute(stmt.order_by(Message.claimed_at).limit(1).with_for_update(skip_locked=True))
                       ).scalar_one_or_none()
                if msg is None:
                    return sent
                msg_id = msg.id
                tried.add(msg_id)
                try:
                    sent += await self._deliver(s, msg)
                except Exception as exc:  # noqa: BLE001 - the provider's failure: counted below, retried with backoff
                    log.warning("delivery failed", extra={"message_id": str(msg.id), "error": repr(exc)})
                    failure = exc
                    await s.rollback()
            if failure is not None:
                await self._failed_attempt(msg_id, failure)

    async def _failed_attempt(self, message_id: uuid.UUID, exc: Exception) -> None:
        """Count the failed send; below the cap it waits out the backoff, at the cap the message is parked as
        `failed` with its error, the enrollment exits (`send_failed`) and the prospect's owner gets an alert."""
        async with self.sessionmaker() as s, s.begin():
            now = self.clock.now()
            msg = (await s.execute(select(Message).where(Message.id == message_id).with_for_update())).scalar_one()
            if msg.state != MessageState.CLAIMED:
                return
            msg.attempts += 1
            msg.error, msg.updated_at = f"{type(exc).__name__}: {exc}"[:2000], now
            if msg.attempts < self.settings.send_max_attempts:
                msg.next_attempt_at = now + self.retry_delay(msg.attempts)
                return
            msg.state, msg.next_attempt_at, msg.version = MessageState.FAILED, None, msg.version + 1
            e = (await s.execute(select(Enrollment).where(Enrollment.id == msg.enrollment_id).with_for_update())).scalar_one()
            if e.running:
                await enrollments.exit_one(s, e, "send_failed", None, now)
            await record_activity(s, msg.prospect_id, "message_failed",
                                  f"The {msg.channel} of step {msg.step_index + 1} could not be sent after "
                                  f"{msg.attempts} attempts: {msg.error}",
                                  data={"message_id": str(msg.id), "enrollment_id": str(e.id), "error": msg.error},
                                  actor=ACTOR, at=now)
            prospect = await s.get(Prospect, msg.prospect_id)
            await raise_alert(s, kind="send_failed", recipient=(prospect.owner if prospect else None) or e.created_by,
                              title=f"A {msg.channel} to a prospect could not be sent",
                              data={"message_id": str(msg.id), "prospect_id": str(msg.prospect_id),
                                    "enrollment_id": str(e.id), "attempts": msg.attempts, "error": msg.error}, ctx=None)

    # -- 3. double opt-in confirmations ---------------------------------------------------------------------
    async def deliver_confirmations(self) -> int:
        """Send the pending confirmation mails of talent-community sign-ups (same attempt cap and backoff)."""
        sent, tried = 0, set()
        while True:
            failure: Exception | None = None
            async with self.sessionmaker() as s, s.begin():
                now = self.clock.now()
                stmt = select(ConsentRequest).where(ConsentRequest.mail_state == "pending", ConsentRequest.next_attempt_at <= now)
                if tried:
                    stmt = stmt.where(ConsentRequest.id.not_in(tried))
                req = (await s.execute(stmt.order_by(ConsentRequest.next_attempt_at).limit(1)
                                       .with_for_update(skip_locked=True))).scalar_one_or_none()
                if req is None:
                    return sent
                req_id = req.id
                tried.add(req_id)
                if req.address is None:  # erased meanwhile
                    req.mail_state = "cancelled"
                    continue
                try:
                    assert self.mailer is not None
                    await self.mailer.send(self._confirmation_mail(req.id, req.address, now))
                    req.mail_state, req.sent_at, req.attempts, req.error = "sent", now, req.attempts + 1, None
                    sent += 1
                except Exception as exc:  # noqa: BLE001 - counted below, retried with backoff
                    log.warning("confirmation mail failed", extra={"consent_request_id": str(req.id), "error": repr(exc)})
                    failure = exc
                    await s.rollback()
            if failure is not None:
                async with self.sessionmaker() as s, s.begin():
                    req = (await s.execute(select(ConsentRequest).where(ConsentRequest.id == req_id).with_for_update())).scalar_one()
                    req.attempts += 1
                    req.error = f"{type(failure).__name__}: {failure}"[:2000]
                    if req.attempts >= self.settings.send_max_attempts:
                        req.mail_state = "failed"
                    else:
                        req.next_attempt_at = self.clock.now() + self.retry_delay(req.attempts)

    def _confirmation_mail(self, request_id: uuid.UUID, to: str, now: datetime) -> EmailMessage:
        token = self.settings.signer().sign(Purpose.CONFIRM_CONSENT, {"r": str(request_id)}, now=now)
        link = f"{self.settings.public_base_url.rstrip('/')}/public/confirm/{token}"
        # No name in it: whoever filled in the form chose the name, and this mail goes to someone else's inbox.
        text_body = ("Hello,\n\nsomeone, hopefully you, asked to join our talent community with this address. Please "
                     f"confirm that we may email you about jobs and events:\n\n{link}\n\nThe link works for 7 days. "
                     "If it was not you, ignore this email: nothing happens and we will not write again.\n")
        return build_transactional(message_id=str(request_id), sender=self.settings.mail_from, to=to,
                                   subject="Please confirm your subscription", text=text_body, sent_at=now)

    async def _deliver(self, s: AsyncSession, msg: Message) -> int:
        now = self.clock.now()
        e = (await s.execute(select(Enrollment).where(Enrollment.id == msg.enrollment_id).with_for_update())).scalar_one()
        if e.status not in (EnrollmentStatus.SCHEDULED, EnrollmentStatus.ACTIVE) or e.next_step != msg.step_index:
            msg.state, msg.updated_at = MessageState.CANCELLED, now  # paused or exited after the claim
            return 0
        if msg.channel == "email":
            assert self.mailer is not None
            await self.mailer.send(build_email(message_id=str(msg.id), prospect_id=str(msg.prospect_id), sender=msg.sender or "",
                                               to=msg.recipient or "", subject=msg.subject or "", text=msg.body or "",
                                               html_part=msg.body_html or "", sent_at=now, settings=self.settings))
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
