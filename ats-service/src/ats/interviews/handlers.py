"""Interviews reacting to their own events: every schedule, reschedule and cancel queues a calendar invitation
to the candidate and to each interviewer (sent after the commit by the task worker)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from ats.candidates.service import candidates
from ats.config import Settings
from ats.interviewers import repository as interviewers
from ats.interviews import repository
from ats.interviews.invitations import ics
from ats.interviews.models import InterviewStatus
from ats.jobs import repository as jobs
from ats.mail.service import Invitation, Mail, queue
from ats.tasks import repository as tasks

SUBJECTS = {"scheduled": "Interview: {title}", "rescheduled": "Updated: interview for {title}",
            "cancelled": "Cancelled: interview for {title}"}


async def send_invitations(uow: UnitOfWork, event: DomainEvent, *, organizer: str) -> None:
    """One invitation per recipient and calendar sequence (a retried commit never queues two)."""
    interview = await repository.get(uow.session, uuid.UUID(event.data["interview"]["id"]))
    if interview is None:
        return
    candidate = await candidates.repo.get(uow.session, interview.application.candidate_id)
    job = await jobs.get(uow.session, interview.application.job_id)
    panel = await interviewers.many(uow.session, list(interview.interviewers))
    recipients = [(p.email if p and p.email else who) for who, p in ((w, panel.get(w)) for w in interview.interviewers)]
    recipients = [r for r in recipients if "@" in r]  # a bare user id has no mailbox
    candidate_email = candidate.emails[0] if candidate and candidate.emails else None
    attendees = [*([candidate_email] if candidate_email else []), *recipients]
    title = job.title if job else "your application"
    content = ics(interview, organizer=organizer, attendees=attendees, title=f"Interview: {title}",
                  stamp=datetime.now(UTC))
    method = "CANCEL" if interview.status == InterviewStatus.CANCELLED else "REQUEST"
    what = event.type.split(".")[2]
    when = f"{interview.starts_at:%Y-%m-%d %H:%M} UTC"
    for to in attendees:
        await queue(uow, Mail(to=to, subject=SUBJECTS[what].format(title=title), text=(
            f"Interview for {title}: {when} to {interview.ends_at:%H:%M} UTC"
            + (f", {interview.location}" if interview.location else "")
            + (f"\nJoin: {interview.video_link}" if interview.video_link else "")
            + ("\n\nThis interview is cancelled." if method == "CANCEL" else "")),
            calendar=Invitation(method, content)),
            dedupe_key=f"interview:{interview.id}:{interview.calendar_sequence}:{to}",
            candidate_id=candidate.id if candidate and to == candidate_email else None)


async def candidate_erased(uow: UnitOfWork, event: DomainEvent) -> None:
    """Right to be forgotten: the interviews stay for reporting, what was typed about them goes, and so do their
    invitation mails (the interviewers' copies name the candidate's address as an attendee)."""
    candidate_id = uuid.UUID(event.data["candidate_id"])
    await repository.erase_free_text(uow.session, candidate_id)
    await tasks.forget_keyed(uow.session, [f"mail:interview:{i}:" for i in await repository.ids_of_candidate(uow.session, candidate_id)])


def register(bus: MessageBus, settings: Settings) -> None:
    """Subscribe this feature's handlers (invitations come from `ATS_MAIL_FROM`)."""
    bus.on("ats.candidate.erased.v1")(candidate_erased)
    async def invitations(uow: UnitOfWork, event: DomainEvent) -> None:
        await send_invitations(uow, event, organizer=settings.mail_from)
    bus.on("ats.interview.scheduled.v1", "ats.interview.rescheduled.v1", "ats.interview.cancelled.v1")(invitations)
