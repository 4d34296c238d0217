"""Handing an email to an SMTP server: stdlib `smtplib` in a worker thread (a send is rare and short; a thread
keeps the event loop free without another dependency)."""
from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class SmtpSender:
    """Sends through `host:port`; raises on any refusal or network failure (the caller retries)."""

    host: str
    port: int
    timeout: float = 15.0

    def _send(self, msg: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(msg)

    async def send(self, msg: EmailMessage) -> None:
        """Deliver `msg` to the server (at least once: a retry carries the same Message-ID)."""
        await asyncio.to_thread(self._send, msg)
