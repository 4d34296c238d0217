"""Email over SMTP (stdlib `smtplib` in a worker thread) and SMS through a pluggable HTTP provider."""
from __future__ import annotations

import asyncio
import email.policy
import html
import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

import httpx

from crm.sending.config import SendingSettings
from crm.sending.tracking import Tracker


def message_id_header(message_id: str, mail_from: str) -> str:
    """The stable RFC 5322 Message-ID of a message row: a re-send after a crash carries the same one."""
    return f"<{message_id}@{mail_from.rpartition('@')[2] or 'crm.local'}>"


def _envelope(*, message_id: str, sender: str, to: str, subject: str, sent_at: datetime) -> EmailMessage:
    # Long header lines are allowed up to 998 characters (RFC 5322); the default 78 would fold the signed
    # List-Unsubscribe URL into an encoded word, which mail clients cannot read back as a URL.
    msg = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Message-ID"] = message_id_header(message_id, sender)
    msg["Date"] = format_datetime(sent_at)
    return msg


def build_email(*, message_id: str, prospect_id: str, sender: str, to: str, subject: str, text: str, html_part: str,
                sent_at: datetime, settings: SendingSettings) -> EmailMessage:
    """The email of a step: its text and HTML parts as rendered at claim time (links already tracked), plus the
    unsubscribe footer, the open pixel, List-Unsubscribe (RFC 8058 one-click) and a stable Message-ID."""
    t = Tracker(settings.public_base_url, settings.signer(), message_id, prospect_id, sent_at)
    msg = _envelope(message_id=message_id, sender=sender, to=to, subject=subject, sent_at=sent_at)
    msg["List-Unsubscribe"] = f"<{t.unsubscribe()}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text + f"\n\n--\nUnsubscribe: {t.unsubscribe()}\n")
    msg.add_alternative(f'{html_part}\n<p><a href="{html.escape(t.unsubscribe())}">Unsubscribe</a></p>\n'
                        f'<img src="{html.escape(t.pixel())}" width="1" height="1" alt="" style="display:none">',
                        subtype="html")
    return msg


def build_transactional(*, message_id: str, sender: str, to: str, subject: str, text: str, sent_at: datetime) -> EmailMessage:
    """A mail the person asked for (the double opt-in confirmation): plain text, no tracking, no List-Unsubscribe."""
    msg = _envelope(message_id=message_id, sender=sender, to=to, subject=subject, sent_at=sent_at)
    msg.set_content(text)
    return msg


class Mailer(Protocol):
    async def send(self, msg: EmailMessage) -> None: ...


class SmtpMailer:
    """Hands an email to the configured SMTP server; raises on any failure (the message stays claimed)."""

    def __init__(self, settings: SendingSettings) -> None:
        self.settings = settings

    def _send(self, msg: EmailMessage) -> None:
        with smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port, timeout=self.settings.smtp_timeout_seconds) as smtp:
            smtp.send_message(msg)

    async def send(self, msg: EmailMessage) -> None:
        await asyncio.to_thread(self._send, msg)


class SmsSender(Protocol):
    async def send(self, *, message_id: str, to: str, body: str) -> None: ...


class HttpSmsSender:
    """POSTs `{id, to, body}` to `CRM_SMS_PROVIDER_URL` with `Idempotency-Key: <message id>`; any non-2xx raises."""

    def __init__(self, settings: SendingSettings) -> None:
        self.settings = settings

    async def send(self, *, message_id: str, to: str, body: str) -> None:
        if not self.settings.sms_provider_url:
            raise RuntimeError("CRM_SMS_PROVIDER_URL is not set")
        async with httpx.AsyncClient(timeout=10) as client:
            r = await client.post(self.settings.sms_provider_url, json={"id": message_id, "to": to, "body": body},
                                  headers={"Idempotency-Key": message_id})
            r.raise_for_status()
