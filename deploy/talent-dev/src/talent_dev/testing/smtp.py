"""A real SMTP server on loopback for tests: what a service sends is what arrives."""
from __future__ import annotations

import email
import email.message
import email.policy
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller

from talent_dev.testing.ports import free_port


class Inbox:
    """aiosmtpd handler keeping every message it accepted. Recipients in `refuse` get a 451 (try again later) and
    count in `refused`; while `down` every message gets a 451 (the mail server is down for a while)."""

    def __init__(self) -> None:
        self.received: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        self.refused = 0
        self.down = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            self.refused += 1
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.down:
            return "451 Try again later"
        raw = envelope.original_content or envelope.content
        self.received.append(email.message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """Every message addressed to `address`, in arrival order."""
        return [m for m in self.received if m["To"] == address]

    def wait_for(self, to: str, count: int = 1, timeout: float = 30.0) -> list[email.message.EmailMessage]:
        """The messages to `to` once there are `count` of them (blocking: for tests whose loop is elsewhere)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.to(to)
            if len(got) >= count:
                return got
            time.sleep(0.1)
        raise AssertionError(f"{count} mail(s) to {to} did not arrive: {[m['To'] for m in self.received]}")


@contextmanager
def smtp_sink(inbox: Inbox | None = None) -> Iterator[tuple[Inbox, int]]:
    """An SMTP server on 127.0.0.1 (a free port) delivering into `inbox` (a new one by default): (inbox, port)."""
    inbox = inbox or Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()
