"""`GET /v1/search/prospects` and `GET /v1/prospects/{id}/similar`."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.pagination import Page, PageQuery

from crm.search import service
from crm.search.repository import Filters
from crm.search.schemas import Mode, ProspectHit

router = APIRouter(prefix="/v1", tags=["Search"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
P = PROBLEM_ANSWER
QUERY_HELP = """`boolean`: words are all required (`python django`); `OR` for either; `NOT` or a leading `-` to
exclude; `"quoted phrases"`; parentheses; `engineer*` for a prefix; `field:value` for one field: `title:`,
`company:`, `skill:`, `location:`, `tag:`, `pool:`, `stage:` (talent stage), `source:`. Operators in capitals; at most
32 terms and 1,000 characters. `semantic`: plain words describing the person (`someone who runs Kubernetes in
production`), matched by meaning. `hybrid`: both, fused."""


def search_filters(
        pool_id: Annotated[uuid.UUID | None, Query(description="Only members of this talent pool.")] = None,
        stage: Annotated[str | None, Query(max_length=100, description="Only prospects at this talent stage in a pool, e.g. `silver_medalist`.")] = None,
        tag: Annotated[list[str], Query(description="Only prospects having every one of these tags.")] = [],  # noqa: B006
        status: Annotated[str | None, Query(max_length=20, description="`active`, `hired` or `excluded`.")] = None,
        location: Annotated[str | None, Query(max_length=200, description="Location contains this text (any case).")] = None,
        updated_after: Annotated[datetime | None, Query(description="Only prospects changed after this time.")] = None,
) -> Filters:
    return Filters(pool_id=pool_id, stage=stage, tags=tag, status=status, location=location, updated_after=updated_after)


@router.get("/search/prospects", response_model=Page[ProspectHit], summary="Search prospects",
            responses={400: {"description": "`q` does not parse in `boolean`/`hybrid` mode (the problem names the "
                                            "`position` and what was `expected`), or a cursor from other filters.", **P}})
async def search_prospects(ctx: Reader, uow: UoW, paging: PageQuery,
                           q: Annotated[str, Query(min_length=1, description=QUERY_HELP)],
                           filters: Annotated[Filters, Depends(search_filters)],
                           mode: Annotated[Mode, Query(description="How results are ranked.")] = Mode.BOOLEAN,
                           ) -> dict[str, Any]:
    """Find prospects: `boolean` full-text matches ranked by relevance (title and name first, then headline and
    skills, then company, location and tags); `semantic` the nearest profiles by meaning (an embedding of the
    headline, title, skills and company, computed right after each change); `hybrid` both rankings fused by
    reciprocal rank fusion. Each hit says where it ranked in each. Follow `next` for more."""
    return await service.search(uow=uow, paging=paging, q=q, mode=mode, filters=filters,
                                filter_params=service.filter_params(filters))


@router.get("/prospects/{prospect_id}/similar", response_model=Page[ProspectHit], summary="Prospects like this one",
            responses={404: {"description": "No such prospect.", **P},
                       409: {"description": "The prospect's embedding is still being computed (`Retry-After`).", **P}})
async def similar_prospects(prospect_id: uuid.UUID, ctx: Reader, uow: UoW, paging: PageQuery) -> dict[str, Any]:
    """"More like this": the prospects whose profiles are nearest to this one's by meaning, nearest first."""
    return await service.similar(uow=uow, paging=paging, prospect_id=prospect_id)
