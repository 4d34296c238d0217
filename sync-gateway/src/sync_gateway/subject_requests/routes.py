"""`/v1/data-subject-requests` (scope `gateway:admin`)."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.clock import clock_of
from talentkit.db import UoW
from talentkit.errors import NotFound
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, Paging

from sync_gateway.subject_requests import service
from sync_gateway.subject_requests.models import DataSubjectRequest, RequestStatus
from sync_gateway.subject_requests.schemas import (
    SubjectRequestCreate,
    SubjectRequestRead,
)

router = APIRouter(prefix="/v1/data-subject-requests", tags=["Data-subject requests"])
Admin = Annotated[RequestContext, Depends(require("gateway:admin"))]
P = PROBLEM_ANSWER


def _read(request: Request, req: DataSubjectRequest, status_code: int = 200) -> JSONResponse:
    return JSONResponse(SubjectRequestRead.of(req, clock_of(request.app).now()).model_dump(mode="json"),
                        status_code=status_code)


@router.post("", status_code=201, response_model=SubjectRequestRead, summary="Receive a data-subject request",
             responses={422: {"description": "Invalid body.", **P}})
async def receive(body: SubjectRequestCreate, request: Request, ctx: Admin) -> Response:
    """Record a person's request (due one month after receipt) and, when their identity is verified, carry it out
    at once across the ATS, the CRM and the gateway: `access` builds one JSON bundle (download it from
    `/bundle`); `erasure` erases every record of the person on both sides and what the gateway holds (links,
    conflicts, webhook deliveries, dead letters), leaving tombstones that block a silent re-import; a legal hold
    in the ATS makes it `blocked` (see `outcome`); `rectification` writes the corrected fields on both sides. A
    side that is unreachable leaves the request `in_progress`: `POST /{id}/retry`."""
    req = await service.receive(uows=request.app.state.uow_factory, peers=request.app.state.peers,
                                values=body.model_dump(mode="json"), clock=clock_of(request.app), ctx=ctx)
    return _read(request, req, 201)


@router.get("", response_model=Page[SubjectRequestRead], summary="List data-subject requests")
async def list_requests(request: Request, response: Response, ctx: Admin, uow: UoW,
                        status: RequestStatus | None = None,
                        overdue: Annotated[bool | None, Query(description="true: past their due date, not completed.")] = None,
                        cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Requests, oldest first; `overdue=true` is the list of those past their one-month due date."""
    now = clock_of(request.app).now()
    found = await service.list_requests(uow=uow, paging=Paging(request, response, cursor, limit), status=status,
                                        overdue=overdue, now=now)
    return {**found, "data": [SubjectRequestRead.of(r, now) for r in found["data"]]}


@router.get("/{id}", response_model=SubjectRequestRead, summary="Get a data-subject request",
            responses={404: {"description": "No such request.", **P}})
async def get_request(id: uuid.UUID, request: Request, ctx: Admin) -> Response:
    """One request, with what was found and done."""
    return _read(request, await service.get(uows=request.app.state.uow_factory, request_id=id))


@router.post("/{id}/verify", response_model=SubjectRequestRead, summary="Confirm the person's identity",
             responses={404: {"description": "No such request.", **P}, 409: {"description": "Not awaiting verification.", **P}})
async def verify(id: uuid.UUID, request: Request, ctx: Admin) -> Response:
    """The person's identity was verified: the request is carried out now."""
    return _read(request, await service.verify(uows=request.app.state.uow_factory, peers=request.app.state.peers,
                                               request_id=id, clock=clock_of(request.app), ctx=ctx))


@router.post("/{id}/retry", response_model=SubjectRequestRead, summary="Carry a request out again",
             responses={404: {"description": "No such request.", **P}, 409: {"description": "Completed or unverified.", **P}})
async def retry(id: uuid.UUID, request: Request, ctx: Admin) -> Response:
    """Try an `in_progress` or `blocked` request again (a side was unreachable, a legal hold was released)."""
    return _read(request, await service.carry_out(uows=request.app.state.uow_factory, peers=request.app.state.peers,
                                                  request_id=id, clock=clock_of(request.app), ctx=ctx))


@router.get("/{id}/bundle", summary="Download the access bundle", responses={404: {"description": "No bundle.", **P}})
async def bundle(id: uuid.UUID, request: Request, ctx: Admin) -> Response:
    """The access request's JSON bundle (everything the ATS, the CRM and the gateway hold about the person), as a
    file download. Gone once the person is erased."""
    req = await service.get(uows=request.app.state.uow_factory, request_id=id)
    if req.bundle is None:
        raise NotFound("This request has no bundle (not an access request, not carried out yet, or erased since).")
    return JSONResponse(req.bundle, headers={"Content-Disposition": f'attachment; filename="data-subject-request-{id}.json"'})
