"""The double opt-in confirmation mails (the talent-community form, the careers form's talent-pool box): plain text,
no tracking, the same attempt cap and backoff as sequence mail."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime
from email.message import EmailMessage

from talentkit.uow import UnitOfWorkFactory

from crm.consent import repository as consent_rows
from crm.public.pages import confirmation_of
from crm.sending.config import SendingSettings
from crm.sending.mailer import Mailer, build_transactional
from crm.sequences.clock import Clock
from crm.signing import Purpose

log = logging.getLogger("crm.scheduler")


MAIL_TEXT = {
    "marketing": "someone, hopefully you, asked to join our talent community with this address. Please confirm that we "
                 "may email you about jobs and events:",
    "talent_pool": "someone, hopefully you, applied to us with this address and asked us to keep them in our talent "
                   "pool. Please confirm that we may keep your profile and consider you for other jobs:",
}


def confirmation_mail(settings: SendingSettings, request_id: uuid.UUID, to: str, now: datetime,
                      purpose: str = "marketing") -> EmailMessage:
    """The mail whose link grants the consent asked for (valid 7 days), worded for what it confirms."""
    token = settings.signer().sign(Purpose.CONFIRM_CONSENT, {"r": str(request_id)}, now=now)
    link = f"{settings.public_base_url.rstrip('/')}/public/confirm/{token}"
    purpose = purpose if purpose in MAIL_TEXT else "marketing"
    # No name in it: whoever filled in the form chose the name, and this mail goes to someone else's inbox.
    text = (f"Hello,\n\n{MAIL_TEXT[purpose]}\n\n{link}\n\nThe link works for 7 days. "
            "If it was not you, ignore this email: nothing happens and we will not write again.\n")
    return build_transactional(message_id=str(request_id), sender=settings.mail_from, to=to,
                               subject=confirmation_of(purpose).subject, text=text, sent_at=now)


async def deliver_confirmations(uows: UnitOfWorkFactory, settings: SendingSettings, clock: Clock, mailer: Mailer) -> int:
    """Send every pending confirmation mail that is due; returns how many went out."""
    sent, tried = 0, set[uuid.UUID]()
    while True:
        failure: Exception | None = None
        async with uows() as uow:
            now = clock.now()
            req = await consent_rows.next_confirmation_due(uow.session, now, tried)
            if req is None:
                return sent
            request_id = req.id
            tried.add(request_id)
            if req.address is None:  # erased meanwhile
                req.mail_state = "cancelled"
            else:
                try:
                    await mailer.send(confirmation_mail(settings, req.id, req.address, now, req.purpose))
                    req.mail_state, req.sent_at, req.attempts, req.error = "sent", now, req.attempts + 1, None
                    sent += 1
                except Exception as exc:  # noqa: BLE001 - the mail server's failure: counted below, retried with backoff
                    log.warning("confirmation mail failed", extra={"consent_request_id": str(request_id), "error": repr(exc)})
                    failure = exc
            if failure is None:
                await uow.commit()
                continue
        async with uows() as uow:
            req = await consent_rows.request(uow.session, request_id, for_update=True)
            assert req is not None
            req.attempts += 1
            req.error = f"{type(failure).__name__}: {failure}"[:2000]
            if req.attempts >= settings.send_max_attempts:
                req.mail_state = "failed"
            else:
                req.next_attempt_at = clock.now() + settings.retry_delay(req.attempts)
            await uow.commit()
