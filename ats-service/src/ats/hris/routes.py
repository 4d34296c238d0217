"""`POST /v1/applications/{id}/hris-handoff/retry`."""
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.responses import resource_response

from ats.applications.schemas import ApplicationRead
from ats.hris import service

router = APIRouter(prefix="/v1/applications", tags=["Applications"])
Writer = Annotated[RequestContext, Depends(require("ats:write"))]
P = PROBLEM_ANSWER


@router.post("/{application_id}/hris-handoff/retry", response_model=ApplicationRead, summary="Retry the HRIS hand-off",
             responses={404: {"description": "No such application.", **P},
                        409: {"description": "The hand-off has not failed (`hris_status`).", **P}})
async def retry_handoff(application_id: uuid.UUID, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Queue a failed hand-off again (`hris_status: pending`) with a fresh attempt budget. The HRIS receives the
    same idempotency key as before, so it never creates a second employee."""
    return await idem.run(lambda: _read(service.retry(uow=uow, application_id=application_id, ctx=ctx)))


async def _read(coro):  # type: ignore[no-untyped-def]
    return resource_response(ApplicationRead, await coro)
