"""Queue an email: its content is fixed now (what was true at the change), its delivery happens after commit."""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from talentkit.uow import UnitOfWork

from ats.tasks import repository as tasks

KIND = "mail"


@dataclass(frozen=True)
class Invitation:
    """An iCalendar object the mail client shows as an invitation (RFC 6047: `text/calendar; method=...`)."""

    method: str  # REQUEST | CANCEL
    content: str


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    calendar: Invitation | None = None


async def queue(uow: UnitOfWork, mail: Mail, *, dedupe_key: str, candidate_id: uuid.UUID | None,
                now: datetime | None = None) -> bool:
    """Queue `mail` once per `dedupe_key`; True when queued now."""
    return await tasks.enqueue(uow.session, kind=KIND, dedupe_key=f"mail:{dedupe_key}", payload=asdict(mail),
                               candidate_id=candidate_id, now=now or datetime.now(UTC))
