"""`GET /v1/search/candidates`."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.pagination import Page, page_query

from ats.applications.models import ApplicationStatus
from ats.search import service
from ats.search.schemas import CandidateHit

router = APIRouter(prefix="/v1/search", tags=["Search"])
Reader = Annotated[RequestContext, Depends(require("ats:read"))]
P = PROBLEM_ANSWER
QUERY_HELP = """Words, all required (`python django`); `OR` for either (`java OR kotlin`); `NOT` or a leading `-` to
exclude (`-intern`); `"quoted phrases"`; parentheses; a trailing `*` for a prefix (`engineer*`); `field:value` for
one field: `title:`, `company:`, `skill:`, `location:`, `tag:`, `source:` (e.g. `skill:k8s`, `title:"staff engineer"`).
Operators are in capitals. At most 32 terms and 1,000 characters."""


@router.get("/candidates", response_model=Page[CandidateHit], summary="Search candidates",
            responses={400: {"description": "`q` does not parse (the problem names the `position` and what was "
                                            "`expected`), or a cursor from other filters.", **P}})
async def search_candidates(
        ctx: Reader, uow: UoW, paging: page_query(20),  # type: ignore[valid-type]
        q: Annotated[str | None, Query(description=QUERY_HELP)] = None,
        job_id: Annotated[uuid.UUID | None, Query(description="Only candidates with an application to this job.")] = None,
        stage_id: Annotated[uuid.UUID | None, Query(description="Only candidates with an application in this stage.")] = None,
        status: Annotated[ApplicationStatus | None, Query(description="Only candidates with an application in this status.")] = None,
        tag: Annotated[list[str], Query(description="Only candidates having every one of these tags.")] = [],  # noqa: B006
        location: Annotated[str | None, Query(max_length=200, description="Location contains this text (any case).")] = None,
        updated_after: Annotated[datetime | None, Query(description="Only candidates changed after this time.")] = None,
) -> dict[str, Any]:
    """Full-text search over candidates' profiles and resumes: names and job titles count most, then headline and
    skills; candidates whose resume text alone matches come after those. Best matches first, each with a
    highlighted `snippet` of the resume; follow `next` for more. Without `q`, the filtered candidates, most
    recently changed first."""
    return await service.candidates(uow=uow, paging=paging, q=q, job_id=job_id, stage_id=stage_id,
                                    status=status.value if status else None, tags=tag, location=location,
                                    updated_after=updated_after)
