"""The mail task's performer: builds the message from the queued content and hands it to SMTP. The Message-ID
is the task's, so a re-send after a crash is recognisable as the same message."""
from __future__ import annotations

import email.policy
from email.message import EmailMessage
from email.utils import format_datetime

from fastapi import FastAPI
from talentkit.clock import clock_of
from talentkit.mail import SmtpSender

from ats.tasks.models import Task


def build(task: Task, mail_from: str, now_header: str) -> EmailMessage:
    """The RFC 5322 message of a queued mail (plain text, plus an iCalendar part and attachment when given)."""
    p = task.payload
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = mail_from, p["to"], p["subject"]
    msg["Message-ID"] = f"<{task.id}@{mail_from.rpartition('@')[2] or 'ats.local'}>"
    msg["Date"] = now_header
    msg.set_content(p["text"])
    if cal := p.get("calendar"):
        # inline as an alternative (mail clients show Accept/Decline) and as a file for the others
        msg.add_alternative(cal["content"], subtype="calendar", params={"method": cal["method"]})
        msg.add_attachment(cal["content"].encode(), maintype="application", subtype="ics", filename="invite.ics")
    return msg


class MailPerformer:
    """Sends queued mail over the configured SMTP server."""

    async def perform(self, app: FastAPI, task: Task) -> None:
        """Send it (raises on failure: the worker retries)."""
        s = app.state.settings
        await SmtpSender(s.smtp_host, s.smtp_port, s.smtp_timeout_seconds).send(
            build(task, s.mail_from, format_datetime(clock_of(app).now())))

    async def gave_up(self, app: FastAPI, task: Task, error: str) -> None:
        """Nothing else to record: the task row keeps the error, and the worker logged every attempt."""
