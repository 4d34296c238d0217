"""EEO use cases: record, read, revise and withdraw a self-identification; the EEO report."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import Conflict, NotFound, Unprocessable, field_error
from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork

from ats.applications import repository as applications
from ats.eeo import report, repository
from ats.eeo.models import EeoResponse
from ats.jobs import service as job_service


async def submit(*, uow: UnitOfWork, application_id: uuid.UUID, answers: dict[str, Any], ctx: RequestContext) -> EeoResponse:
    """Record the candidate's answers for an application (one self-identification per application)."""
    if await applications.get(uow.session, application_id) is None:
        raise Unprocessable("No such application.", errors=[field_error("application_id", "unknown application")])
    existing = await repository.of_application(uow.session, application_id)
    if existing is not None:
        raise Conflict("The application already has a self-identification; PATCH it instead.",
                       existing_eeo_response=f"/v1/eeo-responses/{existing.id}")
    response = EeoResponse.submit(application_id, answers, ctx.actor)
    uow.session.add(response)
    await uow.flush()
    return response


async def answered(*, uow: UnitOfWork, application_id: uuid.UUID) -> bool:
    """Whether the application has a self-identification already."""
    return await repository.of_application(uow.session, application_id) is not None


async def get(*, uow: UnitOfWork, response_id: uuid.UUID, for_update: bool = False) -> EeoResponse:
    """The self-identification, or 404."""
    found = await repository.get(uow.session, response_id, for_update=for_update)
    if found is None:
        raise NotFound(f"No EEO response with id {response_id}.")
    return found


async def list_responses(*, uow: UnitOfWork, paging: Paging, application_id: uuid.UUID | None,
                         job_id: uuid.UUID | None) -> dict[str, Any]:
    """A page of self-identifications, oldest first."""
    filters = {k: str(v) for k, v in (("application_id", application_id), ("job_id", job_id)) if v}
    return await paging.page(uow.session, repository.listing(application_id=application_id, job_id=job_id),
                             model=EeoResponse, filters=filters)


async def revise(*, uow: UnitOfWork, response_id: uuid.UUID, answers: dict[str, Any], if_match: str | None,
                 ctx: RequestContext) -> EeoResponse:
    """Change answers under If-Match."""
    response = await get(uow=uow, response_id=response_id, for_update=True)
    check_if_match(if_match, response.version)
    response.revise(answers, ctx.actor)
    await uow.flush()
    return response


async def withdraw(*, uow: UnitOfWork, response_id: uuid.UUID, ctx: RequestContext) -> None:
    """Delete the self-identification (the candidate withdrew it); the audit trail keeps that it happened."""
    response = await get(uow=uow, response_id=response_id, for_update=True)
    response.withdraw()
    await uow.session.delete(response)
    await uow.flush()


async def eeo_report(*, uow: UnitOfWork, job_id: uuid.UUID, applied_from: datetime | None,
                     applied_to: datetime | None) -> dict[str, Any]:
    """Counts by category and stage reached (suppressed under 5) and four-fifths impact ratios, for one job."""
    job = await job_service.get(uow=uow, job_id=job_id)
    stages = [s.ref() for s in sorted(job.stages, key=lambda s: s.position)]
    rows = await repository.report_rows(uow.session, job_id, applied_from, applied_to)
    respondents = [report.Respondent(furthest, response.answers()) for _, furthest, response in rows if response]
    return {"job_id": job_id, "applied_from": applied_from, "applied_to": applied_to, "applications": len(rows),
            "responses": len(respondents), "suppression_threshold": report.THRESHOLD,
            "dimensions": report.dimensions(stages, respondents)}
