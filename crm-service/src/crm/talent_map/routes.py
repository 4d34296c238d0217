"""`GET /v1/talent-map`."""
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.responses import resource_response

from crm.talent_map import service
from crm.talent_map.schemas import Dimension, TalentMap

router = APIRouter(prefix="/v1/talent-map", tags=["Search"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
P = PROBLEM_ANSWER


@router.get("", response_model=TalentMap, summary="Talent map: counts per company, title, skill, location or seniority",
            responses={200: {"content": {"text/csv": {}}},
                       400: {"description": "`q` does not parse.", **P}})
async def talent_map(request: Request, ctx: Reader, uow: UoW,
                     by: Annotated[Dimension, Query(description="What to count by.")],
                     q: Annotated[str | None, Query(description="A Boolean query (as in `GET /v1/search/prospects`) selecting the people.")] = None,
                     pool: Annotated[uuid.UUID | None, Query(description="Only members of this talent pool.")] = None,
                     limit: Annotated[int, Query(ge=1, le=500, description="The largest buckets to show.")] = 50) -> Response:
    """How many live prospects the query (and pool) select, per bucket, largest first; each bucket links the
    search that lists its people. Seniority is read from the current title (intern, junior, mid, senior, lead,
    manager, director, executive). Send `Accept: text/csv` for a CSV file."""
    result = await service.talent_map(uow=uow, q=q, pool_id=pool, by=by, limit=limit)
    if "text/csv" in request.headers.get("accept", ""):
        return Response(service.as_csv(result), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="talent-map-{by.value}.csv"'})
    return resource_response(TalentMap, result)
