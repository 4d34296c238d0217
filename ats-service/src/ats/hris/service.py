"""The hand-off use cases: queue it with the hire, build the employee from the ATS's records, record the outcome,
retry a failed one."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from talentkit.auth import RequestContext
from talentkit.uow import UnitOfWork

from ats.applications import service as applications
from ats.applications.models import Application, HrisStatus
from ats.candidates.service import candidates
from ats.hris.payload import Compensation, HrisEmployee
from ats.jobs import repository as jobs
from ats.jobs.postings import EMPLOYMENT_TYPES
from ats.offers import repository as offers
from ats.tasks import repository as tasks

KIND = "hris_handoff"
ACTOR = "hris-handoff"


def task_key(application_id: uuid.UUID, hire_version: int) -> str:
    """One hand-off per hire: a hire undone and made again is a new hand-off."""
    return f"hris:{application_id}:{hire_version}"


async def queue(*, uow: UnitOfWork, application_id: uuid.UUID, hire_version: int) -> None:
    """Queue the hand-off of a hire (once, whatever retries the event sees)."""
    await tasks.enqueue(uow.session, kind=KIND, dedupe_key=task_key(application_id, hire_version), now=datetime.now(UTC),
                        payload={"application_id": str(application_id), "hire_version": hire_version})


async def call_off(*, uow: UnitOfWork, application_id: uuid.UUID) -> None:
    """The hire was undone before the hand-off happened: cancel what is still queued."""
    await tasks.cancel_pending(uow.session, kind=KIND, key_prefix=f"hris:{application_id}:")


async def employee(*, uow: UnitOfWork, application_id: uuid.UUID) -> HrisEmployee | None:
    """The employee to hand off, or None when the application no longer waits for a hand-off."""
    app = await applications.get(uow=uow, application_id=application_id)
    if app.hris_status != HrisStatus.PENDING:
        return None
    person = await candidates.get(uow.session, app.candidate_id)
    job = await jobs.get(uow.session, app.job_id)
    offer = await offers.accepted(uow.session, app.id)
    assert job is not None  # an application's job is never deleted
    return HrisEmployee(
        remote_id=str(app.id), first_name=person.first_name, last_name=person.last_name,
        display_full_name=f"{person.first_name} {person.last_name}".strip(), work_email=app.work_email,
        personal_email=person.emails[0] if person.emails else None,
        mobile_phone_number=person.phones[0] if person.phones else None,
        start_date=app.start_date or (offer.start_date if offer else None), job_title=job.title,
        department=job.department, work_location=job.location, manager=job.hiring_manager,
        employment_type=EMPLOYMENT_TYPES.get(job.employment_type or ""),
        compensation=Compensation(amount=offer.salary, currency=offer.currency)
        if offer and offer.salary is not None and offer.currency else None)


async def record_sent(*, uow: UnitOfWork, application_id: uuid.UUID, employee_id: str) -> None:
    """The HRIS has the employee: `hris_status: sent`, `ats.application.hris_synced.v1`."""
    app = await applications.get(uow=uow, application_id=application_id, for_update=True)
    app.handed_off(employee_id, datetime.now(UTC), ACTOR)


async def record_failed(*, uow: UnitOfWork, application_id: uuid.UUID, error: str) -> None:
    """The hand-off gave up: `hris_status: failed` with the error."""
    app = await applications.get(uow=uow, application_id=application_id, for_update=True)
    app.handoff_failed(error, ACTOR)


async def retry(*, uow: UnitOfWork, application_id: uuid.UUID, ctx: RequestContext) -> Application:
    """Queue a failed hand-off again, with a fresh attempt budget (the same idempotency key: never two employees)."""
    app = await applications.get(uow=uow, application_id=application_id, for_update=True)
    app.retry_handoff(ctx.actor)
    await tasks.restart(uow.session, kind=KIND, key_prefix=f"hris:{application_id}:", now=datetime.now(UTC))
    return app
