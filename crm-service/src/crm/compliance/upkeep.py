"""What the CRM does by itself, every scheduler pass: ask for consent renewal ahead of expiry (and remind once),
expire what was not renewed and anonymise whoever has nothing left that lets the CRM keep them (flow 8), and send
the Art. 14 notice before it is due. Rows are locked with SKIP LOCKED, so replicas share the work without
sending twice. While the mail server fails, compliance mail backs off (`crm.compliance.backoff`): after a failure
none is attempted until the delay has passed, then the mail that failed is tried again (never given up)."""
from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from email.message import EmailMessage

from talentkit.auth import Principal, RequestContext
from talentkit.uow import UnitOfWork, UnitOfWorkFactory

from crm.activities import service as activities
from crm.alerts.service import raise_alert
from crm.compliance import art14
from crm.compliance import repository as compliance_rows
from crm.compliance.backoff import MailBackoff
from crm.consent import repository as consent_rows
from crm.consent import service as consent
from crm.consent.models import Channel, Consent, SuppressionReason
from crm.prospects.models import Prospect
from crm.prospects.service import prospects
from crm.sending.config import SendingSettings
from crm.sending.mailer import Mailer, build_transactional
from crm.sequences.clock import Clock
from crm.signing import Purpose

log = logging.getLogger("crm.compliance")
ACTOR = "consent-upkeep"
CTX = RequestContext(principal=Principal(ACTOR, frozenset()))
EXPIRED_REASON = "consent_expired"
PURPOSE_TEXT = {"talent_pool": "keep you in our talent pool and consider you for jobs",
                "marketing": "send you news about working with us", "job_alerts": "email you new jobs that match you"}


async def upkeep(uows: UnitOfWorkFactory, settings: SendingSettings, clock: Clock, mailer: Mailer,
                 backoff: MailBackoff | None = None) -> dict[str, int]:
    """One pass of everything below; returns how many of each happened. With `backoff` holding mail back (the mail
    server failed moments ago), no compliance mail is attempted in this pass; expiries run regardless."""
    backoff = backoff or MailBackoff()
    notice, reminder = timedelta(days=settings.consent_renewal_notice_days), timedelta(days=settings.consent_reminder_after_days)
    done = {"renewal_requests": 0, "reminders": 0, "notices": 0}
    if backoff.open(clock.now()):
        done = {"renewal_requests": await _ask(uows, settings, clock, mailer, backoff, reminder=None, window=notice),
                "reminders": await _ask(uows, settings, clock, mailer, backoff, reminder=reminder, window=notice),
                "notices": await _art14_notices(uows, settings, clock, mailer, backoff)}
    done |= await _expire(uows, clock)
    return done


async def _ask(uows: UnitOfWorkFactory, settings: SendingSettings, clock: Clock, mailer: Mailer, backoff: MailBackoff,
               *, reminder: timedelta | None, window: timedelta) -> int:
    """Renewal mails (or, with `reminder`, the one reminder), one per person for all their consents ending."""
    async with uows(CTX) as uow:
        now = clock.now()
        due = (await consent_rows.due_for_reminder(uow.session, now, reminder) if reminder
               else await consent_rows.due_for_renewal_request(uow.session, now, window))
        by_person: dict[uuid.UUID, list[Consent]] = defaultdict(list)
        for c in due:
            by_person[c.prospect_id].append(c)
        sent = 0
        for prospect_id, consents in by_person.items():
            prospect = await prospects.live(uow.session, prospect_id)
            outcome = "skipped" if prospect is None else await _mail(uow, mailer, backoff, prospect, now, lambda to, p=prospect, cs=consents: (
                renewal_mail(settings, p, cs, to, now, reminder=reminder is not None)))
            if outcome in ("failed", "deferred"):
                continue  # asked again once the backoff allows
            mailed = outcome == "sent"
            for c in consents:
                if reminder:
                    c.renewal_reminded_at = now
                else:
                    c.renewal_requested_at = now
            if mailed and prospect is not None:
                sent += 1
                await activities.record(uow=uow, prospect_id=prospect_id, kind="consent_renewal_requested",
                                        summary=("Reminder: consent renewal" if reminder else "Consent renewal requested")
                                        + f" ({', '.join(sorted({c.purpose for c in consents}))})",
                                        data={"purposes": sorted({c.purpose for c in consents}),
                                              "expires_at": min(c.expires_at for c in consents if c.expires_at).isoformat()},
                                        actor=ACTOR, at=now)
        await uow.commit()
        return sent


async def _mail(uow: UnitOfWork, mailer: Mailer, backoff: MailBackoff, prospect: Prospect, now: datetime,  # type: ignore[no-untyped-def]
                build) -> str:
    """Send to the prospect's first email unless that channel bounces or was unsubscribed (checked now, at the
    moment of sending): `sent`, `skipped`, `failed` (the mail server's failure: the backoff holds the next mail
    back, and the alert is raised when failures keep coming) or `deferred` (held back by the backoff, not tried)."""
    supp = await consent_rows.suppressions(uow.session, prospect.id, str(Channel.EMAIL))
    if not prospect.emails or SuppressionReason.BOUNCED in supp or SuppressionReason.UNSUBSCRIBED in supp:
        return "skipped"
    if not backoff.open(now):
        return "deferred"
    try:
        await mailer.send(build(prospect.emails[0]))
    except Exception as exc:  # noqa: BLE001 - the mail server's failure: backed off, tried again later
        if backoff.failed(now, exc, prospect_id=str(prospect.id)):
            await raise_alert(uow=uow, kind="compliance_mail_failing", recipient=None,
                              title=f"Compliance mail has failed {backoff.failures} times in a row",
                              data={"failures": backoff.failures, "error": f"{type(exc).__name__}: {exc}"[:500],
                                    "next_try_at": backoff.next_try.isoformat() if backoff.next_try else None})
        return "failed"
    backoff.succeeded()
    return "sent"


def _consent_link(settings: SendingSettings, prospect: Prospect, until: datetime, now: datetime) -> str:
    """The signed consent page of the prospect, valid until the consent ends (at least a day)."""
    token = settings.signer().sign(Purpose.PUBLIC_CONSENT, {"p": str(prospect.id)}, now=now,
                                   lifetime=max(until - now, timedelta(days=1)))
    return f"{settings.public_base_url.rstrip('/')}/public/consent/{token}"


def renewal_mail(settings: SendingSettings, prospect: Prospect, consents: list[Consent], to: str, now: datetime, *,
                 reminder: bool) -> EmailMessage:
    """The CRM's own renewal request: what they agreed to, when it ends, the link that renews it."""
    ends = min(c.expires_at for c in consents if c.expires_at)
    purposes = "; ".join(PURPOSE_TEXT.get(p, p) for p in sorted({c.purpose for c in consents}))
    day = ends.strftime("%d %B %Y")
    text = (f"Hello {prospect.first_name},\n\n"
            + ("A reminder: " if reminder else "")
            + f"you agreed that we may {purposes}. That consent ends on {day}.\n\n"
            f"To stay in touch, renew it here (one click, the link works until {day}):\n\n"
            f"{_consent_link(settings, prospect, ends, now)}\n\n"
            f"If you do nothing, we will delete your details on {day}. You can also withdraw on the same page.\n")
    subject = "Reminder: shall we stay in touch?" if reminder else "Shall we stay in touch?"
    return build_transactional(message_id=f"renewal-{prospect.id}-{int(now.timestamp())}", sender=settings.mail_from,
                               to=to, subject=subject, text=text, sent_at=now)


def notice_mail(settings: SendingSettings, prospect: Prospect, to: str, now: datetime) -> EmailMessage:
    """The Art. 14 privacy notice, on its own."""
    text = (f"Hello {prospect.first_name},\n\n{art14.NOTICE}\n\n"
            f"{_consent_link(settings, prospect, now + timedelta(days=90), now)}\n")
    return build_transactional(message_id=f"art14-{prospect.id}", sender=settings.mail_from, to=to,
                               subject="How we got your details, and your rights", text=text, sent_at=now)


async def _art14_notices(uows: UnitOfWorkFactory, settings: SendingSettings, clock: Clock, mailer: Mailer,
                         backoff: MailBackoff) -> int:
    """Notices due within the lead time, sent before their due date."""
    async with uows(CTX) as uow:
        now = clock.now()
        sent = 0
        for prospect in await compliance_rows.notices_due(uow.session, now + timedelta(days=settings.art14_notice_lead_days)):
            if await _mail(uow, mailer, backoff, prospect, now, lambda to, p=prospect: notice_mail(settings, p, to, now)) == "sent":
                prospect.art14_sent_at = now
                sent += 1
                await activities.record(uow=uow, prospect_id=prospect.id, kind="art14_notice_sent",
                                        summary="Privacy notice (Art. 14) sent", data={"due_at": prospect.art14_due_at.isoformat()},  # type: ignore[union-attr]
                                        actor=ACTOR, at=now)
        await uow.commit()
        return sent


async def _expire(uows: UnitOfWorkFactory, clock: Clock) -> dict[str, int]:
    """Consents past their expiry become `expired`; a prospect with nothing left that allows keeping them is
    anonymised in the same transaction (`crm.consent.expired.v1`, then `crm.prospect.erased.v1` with reason
    `consent_expired`)."""
    async with uows(CTX) as uow:
        now = clock.now()
        expired = await consent_rows.past_expiry(uow.session, now)
        anonymised = 0
        for c in expired:
            await consent.expire(uow=uow, consent=c, now=now, actor=ACTOR)
        for prospect_id in {c.prospect_id for c in expired}:
            prospect = await prospects.live(uow.session, prospect_id)
            if prospect is not None and not await consent.anything_allows(uow=uow, prospect_id=prospect_id, now=now):
                locked = await prospects.get(uow.session, prospect.id, for_update=True)
                locked.erase(reason=EXPIRED_REASON, actor=ACTOR)
                anonymised += 1
        await uow.commit()
        return {"expired": len(expired), "anonymised": anonymised}
