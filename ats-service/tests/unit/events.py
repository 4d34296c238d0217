"""Helpers for the aggregate tests: build aggregates without a database and read what they recorded."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from ats.applications.models import Application
from ats.interviews.models import Interview
from ats.jobs.models import DEFAULT_STAGES, JobStage
from talentkit.uow import DomainEvent, RecordsEvents


def recorded(aggregate: RecordsEvents) -> list[DomainEvent]:
    """What the aggregate recorded since the last call (it is not in a session, so it keeps its events)."""
    return aggregate.collect_events()


def only(aggregate: RecordsEvents) -> DomainEvent:
    """The one event the aggregate recorded since the last call."""
    [event] = recorded(aggregate)
    return event


def pipeline(job_id: uuid.UUID | None = None) -> list[JobStage]:
    job_id = job_id or uuid.uuid4()
    return [JobStage(id=uuid.uuid4(), job_id=job_id, name=n, kind=k, position=i) for i, (n, k) in enumerate(DEFAULT_STAGES)]


def application(stages: list[JobStage] | None = None) -> Application:
    """An active application in the first stage, with its created event already collected."""
    app = Application.start(candidate_id=uuid.uuid4(), first_stage=(stages or pipeline())[0], source=None,
                            referrer=None, actor="t")
    recorded(app)
    return app


def interview(interviewers: list[str], app: Application | None = None) -> Interview:
    """A scheduled interview tomorrow, with its scheduled event already collected."""
    app = app or application()
    start = datetime.now(UTC) + timedelta(days=1)
    iv = Interview.schedule(application=app, stage=app.stage, starts_at=start, ends_at=start + timedelta(hours=1),
                            timezone="UTC", interviewers=interviewers, location=None, video_link=None, actor="t")
    recorded(iv)
    return iv
