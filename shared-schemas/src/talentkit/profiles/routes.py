"""HTTP for a profile resource: POST, GET one, GET list (cursor pages), PATCH with If-Match."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Select

from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.idempotency import IdempotencyGuard
from talentkit.errors import Unprocessable, field_error
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, next_url, paginate, paginate_by_offset
from talentkit.profiles.service import ProfileService
from talentkit.responses import resource_response

PROBLEM = {"content": {"application/problem+json": {}}}


# An ordering other than "oldest first": (session, request, filters statement, offset, limit) -> rows.
Ordering = Callable[[Any, Request, Select[Any], int, int], Awaitable[list[Any]]]


def profile_router(*, service: ProfileService[Any], path: str, noun: str, tag: str, read_scope: str,
                   write_scope: str, create_schema: type[BaseModel], patch_schema: type[BaseModel],
                   out_schema: type[BaseModel], orderings: dict[str, Ordering] | None = None) -> APIRouter:
    """Routes for one profile resource, documented in the resource's own words (`noun`). `orderings` adds
    `?order=` values (e.g. the CRM's `-engagement_score`), paginated by offset inside an opaque cursor."""
    orderings = orderings or {}
    router = APIRouter(prefix=path, tags=[tag])
    Reader = Annotated[RequestContext, Depends(require(read_scope))]
    Writer = Annotated[RequestContext, Depends(require(write_scope))]
    errors = {401: {"description": "No or unknown API key.", **PROBLEM},
              403: {"description": f"The key lacks `{write_scope}`.", **PROBLEM}}

    def respond(record: Any, status_code: int = 200, location: bool = False) -> JSONResponse:
        return resource_response(out_schema, record, status_code=status_code,
                                 location=f"{path}/{record.id}" if location else None)

    @router.post("", status_code=status.HTTP_201_CREATED, response_model=out_schema,
                 description=(f"Create a {noun}. Send an `Idempotency-Key` header so that a retry returns the first result "
                      f"instead of creating a duplicate. The response has the `ETag` to use for the first update, and `Location`."),
                 summary=f"Create a {noun}",
                 responses={**errors, 422: {"description": "A field is invalid, or the Idempotency-Key was reused with another body.", **PROBLEM}})
    async def create(body: create_schema, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:  # type: ignore[valid-type]
        if idem.replay:
            return idem.replay
        record = await service.create(session, body.model_dump(), ctx)  # type: ignore[attr-defined]
        return await idem.store(respond(record, status.HTTP_201_CREATED, location=True))


    @router.get("/{id}", response_model=out_schema, description=f"The {noun}, with its current version in the `ETag` header.",
                 summary=f"Get a {noun}",
                responses={404: {"description": f"No such {noun}.", **PROBLEM}})
    async def get_one(id: uuid.UUID, ctx: Reader, session: Session) -> Response:
        return respond(await service.read(session, id))


    @router.get("", response_model=Page[out_schema], description=(f"{noun.capitalize()}s, oldest first, a page at a time. Filters combine with AND. "
                        f"Follow `next` (or the `Link: rel=next` header) until it is null."),
                 summary=f"List {noun}s")  # type: ignore[valid-type]
    async def list_all(request: Request, response: Response, ctx: Reader, session: Session,
                       email: Annotated[str | None, Query(description=f"Only {noun}s having this email address (any case).")] = None,
                       updated_after: Annotated[datetime | None, Query(description="Only records changed after this time (ISO 8601 with offset).")] = None,
                       cursor: Annotated[str | None, Query(description="`next_cursor` from the previous page.")] = None,
                       limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
                       order: Annotated[str | None, Query(description="Sort order other than oldest first"
                                                          + (": " + ", ".join(f"`{o}`" for o in orderings) if orderings else " (none for this resource)")
                                                          + ".")] = None) -> dict[str, Any]:
        filters = {"email": email, "updated_after": updated_after.isoformat() if updated_after else None}
        stmt = service.repo.listing(email=email, updated_after=updated_after)
        if order is not None:
            if order not in orderings:
                raise Unprocessable("Unknown sort order.", errors=[field_error("order", f"one of {sorted(orderings) or 'none'}")])
            filters["order"] = order
            rows, cursor_next = await paginate_by_offset(session, request, response, stmt, orderings[order],
                                                         filters=filters, cursor=cursor, limit=limit)
        else:
            rows, cursor_next = await paginate(session, request, response, stmt, created_col=service.model.created_at,
                                               id_col=service.model.id, filters=filters, cursor=cursor, limit=limit)
        return {"data": rows, "next_cursor": cursor_next, "next": next_url(request, response)}


    @router.patch("/{id}", response_model=out_schema, description=(f"Change some fields of a {noun}; leave out what should stay. Lists (emails, phones, tags) replace "
                     f"the whole list. Requires `If-Match` with the current `ETag`: a stale write is refused with 412, never applied."),
                 summary=f"Update a {noun}",
                  responses={**errors, 404: {"description": f"No such {noun}.", **PROBLEM},
                             412: {"description": "`If-Match` names an older version: GET again and retry.", **PROBLEM},
                             428: {"description": "`If-Match` is missing.", **PROBLEM}})
    async def patch(id: uuid.UUID, body: patch_schema, ctx: Writer, session: Session,  # type: ignore[valid-type]
                    if_match: Annotated[str | None, Header(description="The `ETag` from your last read of this record.")] = None) -> Response:
        record = await service.update(session, id, body.model_dump(exclude_unset=True), if_match=if_match, ctx=ctx)  # type: ignore[attr-defined]
        return respond(record)

    return router
