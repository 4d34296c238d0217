"""`/v1/eeo-responses` and `/v1/reports/eeo`: scope `ats:eeo` only."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from ats.eeo import service
from ats.eeo.schemas import (
    EeoReport,
    EeoResponseCreate,
    EeoResponseRead,
    EeoResponseUpdate,
)

router = APIRouter(prefix="/v1/eeo-responses", tags=["EEO"])
reports = APIRouter(prefix="/v1/reports", tags=["EEO"])
Eeo = Annotated[RequestContext, Depends(require("ats:eeo"))]
P = PROBLEM_ANSWER
ANSWERS = ["gender", "race_ethnicity", "veteran_status", "disability_status"]


@router.post("", status_code=201, response_model=EeoResponseRead, summary="Record a self-identification",
             responses={409: {"description": "The application already has one (see `existing_eeo_response`).", **P},
                        422: {"description": "Unknown application or an answer outside the categories.", **P}})
async def submit(body: EeoResponseCreate, ctx: Eeo, uow: UoW, idem: IdempotencyGuard) -> Response:
    """The candidate's voluntary answers for one application (from your careers site's EEO step). Each question
    is optional and offers `decline_to_answer`. These answers are kept apart: never shown with candidates,
    applications or scorecards, never published as events or webhooks, never sent to the CRM."""
    async def run() -> Response:
        response = await service.submit(uow=uow, application_id=body.application_id,
                                        answers=body.model_dump(include=set(ANSWERS)), ctx=ctx)
        return resource_response(EeoResponseRead, response, status_code=201, location=f"/v1/eeo-responses/{response.id}")
    return await idem.run(run)


@router.get("", response_model=Page[EeoResponseRead], summary="List self-identifications")
async def list_responses(ctx: Eeo, uow: UoW, paging: PageQuery, application_id: uuid.UUID | None = None,
                         job_id: uuid.UUID | None = None) -> dict[str, Any]:
    """Self-identifications, oldest first, for one application or the applications of one job."""
    return await service.list_responses(uow=uow, paging=paging, application_id=application_id, job_id=job_id)


@router.get("/{id}", response_model=EeoResponseRead, summary="Read a self-identification",
            responses={404: {"description": "No such response.", **P}})
async def read(id: uuid.UUID, ctx: Eeo, uow: UoW) -> Response:
    """One self-identification, with its `ETag`."""
    return resource_response(EeoResponseRead, await service.get(uow=uow, response_id=id))


@router.patch("/{id}", response_model=EeoResponseRead, summary="Change answers",
              responses={404: {"description": "No such response.", **P}, 412: {"description": "Stale `If-Match`.", **P},
                         428: {"description": "`If-Match` missing.", **P}})
async def revise(id: uuid.UUID, body: EeoResponseUpdate, ctx: Eeo, uow: UoW,
                 if_match: Annotated[str | None, Header()] = None) -> Response:
    """Change some answers (the others stay); needs `If-Match` with the `ETag` you read."""
    response = await service.revise(uow=uow, response_id=id, answers=body.model_dump(exclude_unset=True),
                                    if_match=if_match, ctx=ctx)
    return resource_response(EeoResponseRead, response)


@router.delete("/{id}", status_code=204, summary="Withdraw a self-identification",
               responses={404: {"description": "No such response.", **P}})
async def withdraw(id: uuid.UUID, ctx: Eeo, uow: UoW) -> Response:
    """The candidate takes their answers back: they are deleted (the audit trail keeps that it happened)."""
    await service.withdraw(uow=uow, response_id=id, ctx=ctx)
    return Response(status_code=204)


@reports.get("/eeo", response_model=EeoReport, summary="EEO report of a job",
             responses={404: {"description": "No such job.", **P}})
async def eeo_report(ctx: Eeo, uow: UoW, job_id: Annotated[uuid.UUID, Query()],
                     applied_from: Annotated[datetime | None, Query(alias="from", description="Applied at or after.")] = None,
                     applied_to: Annotated[datetime | None, Query(alias="to", description="Applied before.")] = None,
                     ) -> dict[str, Any]:
    """For each question (gender, race/ethnicity, veteran status, disability status) and each stage of the job:
    how many self-identified applicants of each category reached the stage (counts of 1 to 4 are suppressed, with a
    second cell when needed so none can be worked out), and the four-fifths rule: each category's selection
    rate (reached / applicants) against the highest, `adverse_impact` when under 0.8. Only aggregates: no
    individual answer is ever returned here."""
    return await service.eeo_report(uow=uow, job_id=job_id, applied_from=applied_from, applied_to=applied_to)
