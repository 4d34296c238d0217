"""`POST /v1/search/prospects/push-to-job` and `GET /v1/bulk-pushes/{id}`."""
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.responses import resource_response

from crm.bulk_pushes import service
from crm.bulk_pushes.schemas import BulkPushCreate, BulkPushRead

router = APIRouter(prefix="/v1", tags=["Search"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = PROBLEM_ANSWER


@router.post("/search/prospects/push-to-job", status_code=202, response_model=BulkPushRead,
             summary="Push search results to an ATS job",
             responses={400: {"description": "`q` does not parse.", **P},
                        422: {"description": "Neither or both of `prospect_ids` and `q`, or another invalid field.", **P}})
async def push_to_job(body: BulkPushCreate, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Push many prospects to one ATS job: the listed `prospect_ids`, or the first `limit` results of a search
    (chosen now, as ranked now). Accepted (202) with a bulk push to follow at `Location`: each person goes through
    the push-to-job flow (`POST /v1/prospects/{id}/push-to-job`: the sync gateway finds or creates the ATS
    candidate and application), one at a time in the background, and gets an outcome. Send an `Idempotency-Key`:
    a retry returns the same bulk push; pushing a person already being pushed to the job reuses that push."""
    async def run() -> Response:
        bulk = await service.start(uow=uow, values=body.model_dump(mode="json"), ctx=ctx)
        return resource_response(BulkPushRead, await service.read(uow=uow, bulk_id=bulk.id), status_code=202,
                                 location=f"/v1/bulk-pushes/{bulk.id}")
    return await idem.run(run)


@router.get("/bulk-pushes/{bulk_id}", response_model=BulkPushRead, summary="Progress of a bulk push",
            responses={404: {"description": "No such bulk push.", **P}})
async def get_bulk_push(bulk_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """Progress (`processed` of `total`), the count of each outcome, and every person's outcome with the live
    status of their push."""
    return resource_response(BulkPushRead, await service.read(uow=uow, bulk_id=bulk_id))
