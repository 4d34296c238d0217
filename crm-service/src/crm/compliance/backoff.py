"""Backoff of the CRM's compliance mail (consent renewal requests, reminders, Art. 14 notices) while the mail server
fails: after a failed mail none is attempted until a delay that doubles per consecutive failure (1 minute up to 1
hour), and a success resets it. This mail is legally required, so it is never given up: it keeps being tried at the
capped interval. From `alert_after` failures in a row the failure is logged at ERROR, counted in
`crm_compliance_mail_alerts_total` and raised as a `compliance_mail_failing` alert (once per streak);
`crm_compliance_mail_consecutive_failures` shows the streak. One per scheduler process (in memory: a restart tries
at once)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import Counter, Gauge

log = logging.getLogger("crm.compliance")

FAILURES = Counter("crm_compliance_mail_failures_total",
                   "Compliance mails (consent renewal, reminder, Art. 14 notice) the mail server refused")
ALERTS = Counter("crm_compliance_mail_alerts_total",
                 "Streaks of failed compliance mails that reached the alert threshold")
CONSECUTIVE = Gauge("crm_compliance_mail_consecutive_failures",
                    "Compliance mails failed in a row in this process (0 after a success; alert from 5)",
                    multiprocess_mode="max")


@dataclass
class MailBackoff:
    first: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=1)
    alert_after: int = 5
    failures: int = 0  # consecutive
    next_try: datetime | None = None  # no compliance mail before this

    def open(self, now: datetime) -> bool:
        """Whether a compliance mail may be attempted now."""
        return self.next_try is None or now >= self.next_try

    def delay(self) -> timedelta:
        """The wait after the current streak of failures: `first` doubled per failure after the first, at most `cap`."""
        if self.failures <= 0:
            return timedelta(0)
        return min(self.first * 2 ** min(self.failures - 1, 30), self.cap)

    def failed(self, now: datetime, error: BaseException, **context: str) -> bool:
        """Count a failed mail and hold the next one back; True when the streak just reached the alert threshold."""
        self.failures += 1
        self.next_try = now + self.delay()
        FAILURES.inc()
        CONSECUTIVE.set(self.failures)
        extra = {"attempt": self.failures, "next_try_at": self.next_try.isoformat(), "error": repr(error), **context}
        if self.failures < self.alert_after:
            log.warning("compliance mail failed (attempt %d in a row); next try at %s", self.failures,
                        self.next_try.isoformat(), extra=extra)
            return False
        log.error("compliance mail keeps failing (attempt %d in a row); next try at %s", self.failures,
                  self.next_try.isoformat(), extra=extra)
        if self.failures == self.alert_after:
            ALERTS.inc()
            return True
        return False

    def succeeded(self) -> None:
        """A mail went out: the mail server works again."""
        if self.failures:
            log.info("compliance mail sent again after %d failures", self.failures, extra={"failures": self.failures})
        self.failures, self.next_try = 0, None
        CONSECUTIVE.set(0)
