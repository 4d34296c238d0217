"""`/v1/jobs/{id}/posting`: what the careers site shows of a job."""
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.responses import resource_response

from ats.careers import service
from ats.careers.schemas import PostingPut, PostingRead

router = APIRouter(prefix="/v1/jobs", tags=["Careers site"])
Reader = Annotated[RequestContext, Depends(require("ats:read"))]
Writer = Annotated[RequestContext, Depends(require("ats:write"))]
P = PROBLEM_ANSWER


@router.put("/{job_id}/posting", response_model=PostingRead, summary="Set a job's careers-site posting",
            responses={201: {"description": "Created."}, 404: {"description": "No such job.", **P},
                       412: {"description": "Stale `If-Match`.", **P}, 428: {"description": "Replacing needs `If-Match`.", **P},
                       422: {"description": "Invalid body.", **P}})
async def put_posting(job_id: uuid.UUID, body: PostingPut, ctx: Writer, uow: UoW,
                      if_match: Annotated[str | None, Header(description="The posting's `ETag` (to replace it).")] = None,
                      ) -> Response:
    """Create (201) or replace (200, with `If-Match`) what the careers site shows beyond the job: the address, or
    `remote` with the countries applicants may live in; the salary range; when the posting closes
    (`valid_through`); and the apply form's screening questions (text, yes/no, single choice; required or not;
    knock-out answers reject automatically). The job page at `/careers/jobs/{id}` carries all of it as
    schema.org `JobPosting` JSON-LD."""
    posting, created = await service.put_posting(uow=uow, job_id=job_id, values=body.model_dump(mode="python"),
                                                 if_match=if_match, ctx=ctx)
    return resource_response(PostingRead, posting, status_code=201 if created else 200)


@router.get("/{job_id}/posting", response_model=PostingRead, summary="Get a job's careers-site posting",
            responses={404: {"description": "No such job, or no posting yet.", **P}})
async def get_posting(job_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The posting; `ETag` carries its version."""
    return resource_response(PostingRead, await service.get_posting(uow=uow, job_id=job_id))
