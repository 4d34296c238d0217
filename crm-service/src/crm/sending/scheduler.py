"""The scheduler: claims due steps and delivers claimed messages. Restart-safe by construction.

Two transactions per step:
1. claim: lock the due enrollment (`FOR UPDATE SKIP LOCKED`), check stop rules, consent and throttling, render, and
   insert the `messages` row (unique per enrollment and step) as `claimed`; commit.
2. deliver: lock one claimed message (`FOR UPDATE SKIP LOCKED`; the row lock is the lease), send it, mark it `sent`
   (it records `crm.message.sent.v1`), advance the enrollment and append `message_sent`; commit.

Every transaction is a unit of work of `app.state.uow_factory`, so what the aggregates record reaches the outbox
(and the in-service handlers) in that same commit.

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
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import text
from talentkit import background
from talentkit.auth import Principal, RequestContext
from talentkit.uow import UnitOfWork, UnitOfWorkFactory

from crm.activities import service as activities
from crm.alerts.service import raise_alert
from crm.compliance import art14
from crm.compliance.backoff import MailBackoff
from crm.compliance.upkeep import upkeep
from crm.consent import service as consent
from crm.enrollments import repository as enrollment_rows
from crm.enrollments import service as enrollments
from crm.enrollments.models import Enrollment, EnrollmentStatus
from crm.prospects.service import prospects
from crm.sending import repository
from crm.sending.config import SendingSettings
from crm.sending.confirmations import deliver_confirmations
from crm.sending.content import compose
from crm.sending.mailer import (
    HttpSmsSender,
    Mailer,
    SmsSender,
    SmtpMailer,
    build_email,
    message_id_header,
)
from crm.sending.models import Message, MessageState
from crm.sending.tracking import Tracker
from crm.sequences import service as sequences
from crm.sequences.clock import Clock, clock_of
from crm.sequences.models import Sequence, SequenceVersion
from crm.sequences.personalize import choose_variant, fill, missing_tokens
from crm.sequences.schedule import start_of_next_day

log = logging.getLogger("crm.scheduler")
ACTOR = "scheduler"
CTX = RequestContext(principal=Principal(ACTOR, frozenset()))


@dataclass
class Scheduler:
    uows: UnitOfWorkFactory
    settings: SendingSettings
    clock: Clock
    mailer: Mailer | None = None
    sms: SmsSender | None = None
    batch: int = 50
    compliance_backoff: MailBackoff = field(default_factory=MailBackoff)  # pass one per process to keep it across passes

    def __post_init__(self) -> None:
        self.mailer = self.mailer or SmtpMailer(self.settings)
        self.sms = self.sms or HttpSmsSender(self.settings)

    async def run_once(self) -> tuple[int, int]:
        """One pass: claim what is due, deliver everything claimed (including leftovers of a crash), then the
        pending double opt-in confirmations, then the CRM's own compliance mail and expiries (`crm.compliance`)."""
        claimed = await self.claim_due()
        sent = await self.deliver_claimed()
        assert self.mailer is not None
        await deliver_confirmations(self.uows, self.settings, self.clock, self.mailer)
        await upkeep(self.uows, self.settings, self.clock, self.mailer, self.compliance_backoff)
        return claimed, sent

    # -- 1. claim -------------------------------------------------------------------------------------------
    async def claim_due(self) -> int:
        """Claim the steps due now; returns how many messages were claimed."""
        async with self.uows(CTX) as uow:
            now = self.clock.now()
            count = sum([await self._claim(uow, e, now) for e in await enrollment_rows.due(uow.session, now, self.batch)])
            await uow.commit()
        return count

    async def _claim(self, uow: UnitOfWork, e: Enrollment, now: datetime) -> int:
        already = await repository.of_step(uow.session, e.id, e.next_step)
        if already is not None and already.state in repository.SENDING:
            return 0  # claimed earlier; delivery owns it
        seq = await sequences.get(uow=uow, sequence_id=e.sequence_id)
        version = await sequences.version_of(uow=uow, sequence_id=e.sequence_id, number=e.sequence_version)
        step = version.steps[e.next_step]
        kind = step["kind"]
        # Lock order: a prospect before its enrollments (an ATS status, an erasure: prospect, then its enrollments).
        # This worker already holds the enrollment, so it never waits for the prospect: when a writer holds it,
        # the step is left for the next round (it stays due).
        prospect = await prospects.repo.get(uow.session, e.prospect_id, for_update=True, skip_locked=True)
        if prospect is None:
            return 0
        recipient: str | None = None
        if kind in ("email", "sms"):
            if reason := await consent.verdict(uow=uow, prospect_id=e.prospect_id, channel=kind, now=now):
                await enrollments.exit_one(uow=uow, enrollment=e, reason=reason, actor=ACTOR, at=now)
                return 0
            addresses = prospect.emails if kind == "email" else prospect.phones
            recipient = addresses[0] if addresses else None
            if recipient is None:
                await enrollments.exit_one(uow=uow, enrollment=e, reason=f"no_{'email' if kind == 'email' else 'phone'}",
                                           actor=ACTOR, at=now)
                return 0
        sender = seq.sender_mailbox or self.settings.mail_from
        if kind == "email" and (later := await self._throttled(uow, seq, sender, now, version, e)):
            e.defer(later)
            return 0
        variant_name, subject, body, body_html = None, step.get("subject"), step["body"], step.get("body_html")
        if step.get("variants"):
            i = choose_variant(e.id, e.next_step, [v.get("weight", 1) for v in step["variants"]])
            v = step["variants"][i]
            variant_name, subject, body, body_html = v["name"], v.get("subject") or subject, v["body"], v.get("body_html")
        if kind == "email" and prospect.art14_due_at and not prospect.art14_sent_at:
            # Art. 14: the first contact of a sourced prospect carries the privacy notice
            body = f"{body}\n\n{art14.NOTICE}"
            body_html = f"{body_html}<p>{art14.NOTICE}</p>" if body_html else None
        elif kind != "email" and prospect.art14_due_at and not prospect.art14_sent_at:
            prospect.art14_due_at = min(prospect.art14_due_at, now)  # first contact by SMS: the email notice is due now
        variables = {"first_name": prospect.first_name, "last_name": prospect.last_name,
                     "email": prospect.emails[0] if prospect.emails else None, **(e.variables or {})}
        missing = missing_tokens([subject, body, body_html] if kind == "email" else [body], variables)
        msg = already or Message(id=uuid.uuid4(), enrollment_id=e.id, prospect_id=e.prospect_id, sequence_id=e.sequence_id,
                                 step_index=e.next_step, channel=kind)
        msg.variant, msg.sender, msg.recipient, msg.claimed_at, msg.updated_at = variant_name, sender, recipient, now, now
        if already is None:
            uow.session.add(msg)
        if missing:
            msg.state, msg.missing_tokens = MessageState.BLOCKED, missing
            msg.error = f"missing personalization tokens: {', '.join(missing)}"
            e.pause(f"blocked: missing tokens {', '.join(missing)}", ACTOR)
            await uow.flush()
            await activities.record(uow=uow, prospect_id=e.prospect_id, kind="message_blocked",
                                    summary=f"Step {e.next_step + 1} blocked: {msg.error}",
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
        await uow.flush()
        return 1

    async def _throttled(self, uow: UnitOfWork, seq: Sequence, sender: str, now: datetime, version: SequenceVersion,
                         e: Enrollment) -> datetime | None:
        """When the sender mailbox may send next, if not now (daily cap per UTC day, minimum gap)."""
        if not seq.daily_cap and not seq.min_gap_seconds:
            return None
        # One claimer per mailbox at a time, so two workers cannot both take the last slot.
        await uow.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(f"mailbox:{sender}".encode())})
        if seq.daily_cap:
            day_start = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
            if await repository.emails_claimed_since(uow.session, sender, day_start) >= seq.daily_cap:
                return max(day_start + timedelta(days=1),
                           start_of_next_day(now, version.window(), ZoneInfo(e.timezone), version.holiday_dates()))
        if seq.min_gap_seconds:
            last = await repository.last_email_claimed(uow.session, sender)
            if last is not None and now < last + timedelta(seconds=seq.min_gap_seconds):
                return last + timedelta(seconds=seq.min_gap_seconds)
        return None

    # -- 2. deliver -----------------------------------------------------------------------------------------
    async def deliver_claimed(self) -> int:
        """Send every claimed message that is due (not waiting out a backoff) and not locked by another worker;
        returns how many were sent. A failed send counts as an attempt; see `_failed_attempt`."""
        sent, tried = 0, set[uuid.UUID]()
        while True:
            failure: Exception | None = None
            async with self.uows(CTX) as uow:
                msg = await repository.next_to_deliver(uow.session, self.clock.now(), tried)
                if msg is None:
                    return sent
                msg_id = msg.id
                tried.add(msg_id)
                try:
                    sent += await self._deliver(uow, msg)
                except Exception as exc:  # noqa: BLE001 - the provider's failure: counted below, retried with backoff
                    log.warning("delivery failed", extra={"message_id": str(msg_id), "error": repr(exc)})
                    failure = exc
                else:
                    await uow.commit()
            if failure is not None:
                await self._failed_attempt(msg_id, failure)

    async def _deliver(self, uow: UnitOfWork, msg: Message) -> int:
        now = self.clock.now()
        # The prospect before the enrollment (see `_claim`); a prospect being changed now is sent to next round.
        if await prospects.repo.get(uow.session, msg.prospect_id, for_update=True, skip_locked=True) is None:
            return 0
        e = await enrollments.get(uow=uow, enrollment_id=msg.enrollment_id, for_update=True)
        if e.status not in (EnrollmentStatus.SCHEDULED, EnrollmentStatus.ACTIVE) or e.next_step != msg.step_index:
            msg.cancel(now)  # paused or exited after the claim
            return 0
        # Consent and suppressions are checked again at the moment of sending: a withdrawal, a decline, an expiry
        # or an unsubscribe after the claim stops the message.
        if msg.channel in ("email", "sms") and (reason := await consent.verdict(uow=uow, prospect_id=msg.prospect_id,
                                                                                channel=msg.channel, now=now)):
            msg.cancel(now)
            await enrollments.exit_one(uow=uow, enrollment=e, reason=reason, actor=ACTOR, at=now)
            return 0
        if msg.channel == "email":
            assert self.mailer is not None
            await self.mailer.send(build_email(message_id=str(msg.id), prospect_id=str(msg.prospect_id), sender=msg.sender or "",
                                               to=msg.recipient or "", subject=msg.subject or "", text=msg.body or "",
                                               html_part=msg.body_html or "", sent_at=now, settings=self.settings))
        elif msg.channel == "sms":
            assert self.sms is not None
            await self.sms.send(message_id=str(msg.id), to=msg.recipient or "", body=msg.body or "")
        msg.delivered(now)
        if msg.channel == "email" and art14.NOTICE in (msg.body or ""):
            prospect = await prospects.get(uow.session, msg.prospect_id)
            prospect.art14_sent_at = prospect.art14_sent_at or now
        version = await sequences.version_of(uow=uow, sequence_id=e.sequence_id, number=e.sequence_version)
        nxt = e.next_step + 1
        e.step_done(now, version.step_due(nxt, now, ZoneInfo(e.timezone)) if nxt < len(version.steps) else None, ACTOR)
        summary = f"Sent {msg.channel} step {msg.step_index + 1}" + (f": {msg.subject}" if msg.subject else "")
        await activities.record(uow=uow, prospect_id=msg.prospect_id, kind="message_sent" if msg.channel != "task" else "task_due",
                                summary=summary if msg.channel != "task" else f"Task: {msg.body}",
                                data={"message_id": str(msg.id), "enrollment_id": str(e.id), "step_index": msg.step_index,
                                      "channel": msg.channel, "variant": msg.variant}, actor=ACTOR, at=now)
        return 1

    async def _failed_attempt(self, message_id: uuid.UUID, exc: Exception) -> None:
        """Count the failed send; below the cap it waits out the backoff, at the cap the message is parked as
        `failed` with its error, the enrollment exits (`send_failed`) and the prospect's owner gets an alert."""
        async with self.uows(CTX) as uow:
            now = self.clock.now()
            msg = await repository.get(uow.session, message_id, for_update=True)
            if msg is not None and msg.state == MessageState.CLAIMED and msg.attempt_failed(
                    f"{type(exc).__name__}: {exc}", now, max_attempts=self.settings.send_max_attempts,
                    retry_after=self.settings.retry_delay):
                await self._park(uow, msg, now)
            await uow.commit()

    async def _park(self, uow: UnitOfWork, msg: Message, now: datetime) -> None:
        e = await enrollments.get(uow=uow, enrollment_id=msg.enrollment_id, for_update=True)
        if e.running:
            await enrollments.exit_one(uow=uow, enrollment=e, reason="send_failed", actor=ACTOR, at=now)
        await activities.record(uow=uow, prospect_id=msg.prospect_id, kind="message_failed",
                                summary=f"The {msg.channel} of step {msg.step_index + 1} could not be sent after "
                                        f"{msg.attempts} attempts: {msg.error}",
                                data={"message_id": str(msg.id), "enrollment_id": str(e.id), "error": msg.error},
                                actor=ACTOR, at=now)
        prospect = await prospects.get(uow.session, msg.prospect_id)
        await raise_alert(uow=uow, kind="send_failed", recipient=prospect.owner or e.created_by,
                          title=f"A {msg.channel} to a prospect could not be sent",
                          data={"message_id": str(msg.id), "prospect_id": str(msg.prospect_id), "enrollment_id": str(e.id),
                                "attempts": msg.attempts, "error": msg.error})


def sending_settings(app: FastAPI) -> SendingSettings:
    """The app's sending settings (`app.state.sending_settings`), read from the environment once."""
    if getattr(app.state, "sending_settings", None) is None:
        app.state.sending_settings = SendingSettings()
    return app.state.sending_settings  # type: ignore[no-any-return]


async def sequence_scheduler(app: FastAPI) -> None:
    """Worker: run a scheduler pass every `CRM_SCHEDULER_POLL_SECONDS` while `CRM_SCHEDULER_ENABLED`; the
    compliance mail backoff lasts across passes (one per process)."""
    backoff = MailBackoff()
    while True:
        settings = sending_settings(app)
        try:
            if settings.scheduler_enabled:
                await Scheduler(app.state.uow_factory, settings, clock_of(app), mailer=getattr(app.state, "crm_mailer", None),
                                sms=getattr(app.state, "crm_sms", None), compliance_backoff=backoff).run_once()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduler pass failed")
        await background.sleep(settings.scheduler_poll_seconds)


__all__: list[Any] = ["Scheduler", "sequence_scheduler"]
