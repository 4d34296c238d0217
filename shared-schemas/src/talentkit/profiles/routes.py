"""HTTP for a profile resource: POST, GET one, GET list (cursor pages), PATCH with If-Match."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Select

from talentkit.apidocs import PROBLEM_ANSWER, Responses
from talentkit.auth import RequestContext, require, spend_for_batch
from talentkit.db import UoW
from talentkit.errors import SafeJSONResponse, Unprocessable, field_error
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, CountedPage, Paging
from talentkit.profiles.batch import Batch, apply_batch, ensure_sync_fields_allowed
from talentkit.profiles.schemas import MAX_BATCH_ITEMS, batch_schemas
from talentkit.profiles.service import ProfileService
from talentkit.responses import resource_response

PROBLEM = PROBLEM_ANSWER
MAX_EMAILS = 200  # addresses per list request: a page of people matched at once, within a URL's usual limits


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
    errors: Responses = {401: {"description": "No or unknown API key.", **PROBLEM},
              403: {"description": f"The key lacks `{write_scope}`.", **PROBLEM}}

    def respond(record: Any, status_code: int = 200, location: bool = False) -> JSONResponse:
        return resource_response(out_schema, record, status_code=status_code,
                                 location=f"{path}/{record.id}" if location else None)

    @router.post("", status_code=status.HTTP_201_CREATED, response_model=out_schema,
                 description=(f"Create a {noun}. Send an `Idempotency-Key` header so that a retry returns the first result "
                      f"instead of creating a duplicate. The response has the `ETag` to use for the first update, and `Location`."),
                 summary=f"Create a {noun}",
                 responses={**errors, 422: {"description": "A field is invalid, or the Idempotency-Key was reused with another body.", **PROBLEM}})
    async def create(body: create_schema, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:  # type: ignore[valid-type]
        if idem.replay:
            return idem.replay
        record = await service.create(uow=uow, values=body.model_dump(), ctx=ctx)  # type: ignore[attr-defined]
        return await idem.store(respond(record, status.HTTP_201_CREATED, location=True))


    batch_in, batch_out = batch_schemas(create=create_schema, patch=patch_schema, out=out_schema, noun=noun)

    @router.post("/batch", response_model=batch_out, summary=f"Create and update many {noun}s at once",
                 description=_batch_description(noun, path),
                 responses={**errors, 403: {"description": f"The key lacks `{write_scope}`, or sent `source_time` / "
                                                           "`field_times` without `sync:origin`.", **PROBLEM},
                            422: {"description": f"`items` is not a list of 1 to {MAX_BATCH_ITEMS}, or the batch's "
                                                 "Idempotency-Key was reused with another body. (A bad *item* is "
                                                 "answered in its result, not here.)", **PROBLEM}})
    async def batch(request: Request, body: batch_in, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:  # type: ignore[valid-type]
        items = body.items  # type: ignore[attr-defined]
        ensure_sync_fields_allowed(items, ctx)

        async def run() -> Response:
            await spend_for_batch(request, ctx.principal, len(items))
            results = await apply_batch(uow=uow, batch=Batch(service, path, out_schema, request.app.state.platform.idempotency_keys),
                                        items=items, ctx=ctx)
            failed = sum(1 for r in results if r["status"] >= 400)
            return SafeJSONResponse({"results": results, "succeeded": len(results) - failed, "failed": failed})
        return await idem.run(run)

    @router.get("/{id}", response_model=out_schema, description=f"The {noun}, with its current version in the `ETag` header.",
                 summary=f"Get a {noun}",
                responses={404: {"description": f"No such {noun}.", **PROBLEM}})
    async def get_one(id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
        return respond(await service.read(uow=uow, id=id))


    @router.get("", response_model=CountedPage[out_schema],  # type: ignore[valid-type]  # a model made at run time
                description=(f"{noun.capitalize()}s, oldest first, a page at a time. Filters combine with AND. "
                             f"Follow `next` (or the `Link: rel=next` header) until it is null."),
                summary=f"List {noun}s")
    async def list_all(request: Request, response: Response, ctx: Reader, uow: UoW,
                       email: Annotated[list[str] | None, Query(max_length=MAX_EMAILS, description=(
                           f"Only {noun}s having this email address (any case). Repeat it (up to {MAX_EMAILS} times) "
                           f"for {noun}s having any of these addresses, e.g. to match many people in one request."))] = None,
                       updated_after: Annotated[datetime | None, Query(description="Only records changed after this time (ISO 8601 with offset).")] = None,
                       cursor: Annotated[str | None, Query(description="`next_cursor` from the previous page.")] = None,
                       limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
                       count: Annotated[bool, Query(description=f"Also answer `total`: how many {noun}s match the "
                                                    "filters across every page (a count: ask once, not on every page).")] = False,
                       order: Annotated[str | None, Query(description="Sort order other than oldest first"
                                                          + (": " + ", ".join(f"`{o}`" for o in orderings) if orderings else " (none for this resource)")
                                                          + ".")] = None) -> dict[str, Any]:
        emails = sorted({e.strip().lower() for e in email}) if email else None
        # One address stays a string in the cursor, as before several were accepted (cursors already issued hold).
        filters = {"email": (emails[0] if len(emails) == 1 else emails) if emails else None,
                   "updated_after": updated_after.isoformat() if updated_after else None}
        if order is not None:
            if order not in orderings:
                raise Unprocessable("Unknown sort order.", errors=[field_error("order", f"one of {sorted(orderings) or 'none'}")])
            filters["order"] = order
        return await service.page(uow=uow, paging=Paging(request, response, cursor, limit), emails=emails,
                                  updated_after=updated_after, order=orderings[order] if order is not None else None,
                                  filters=filters, count=count)


    @router.patch("/{id}", response_model=out_schema, description=(f"Change some fields of a {noun}; leave out what should stay. Lists (emails, phones, tags) replace "
                     f"the whole list. Requires `If-Match` with the current `ETag`: a stale write is refused with 412, never applied."),
                 summary=f"Update a {noun}",
                  responses={**errors, 404: {"description": f"No such {noun}.", **PROBLEM},
                             409: {"description": f"The {noun} was merged into another: write to the one named by "
                                                  "`merged_into_id` (also in `Location`).", **PROBLEM},
                             410: {"description": f"The {noun} was erased: it accepts no more changes.", **PROBLEM},
                             412: {"description": "`If-Match` names an older version: GET again and retry.", **PROBLEM},
                             428: {"description": "`If-Match` is missing.", **PROBLEM}})
    async def patch(id: uuid.UUID, body: patch_schema, ctx: Writer, uow: UoW,  # type: ignore[valid-type]
                    if_match: Annotated[str | None, Header(description="The `ETag` from your last read of this record.")] = None) -> Response:
        record = await service.update(uow=uow, id=id, values=body.model_dump(exclude_unset=True), if_match=if_match,  # type: ignore[attr-defined]
                                      ctx=ctx)
        return respond(record)

    return router


def _batch_description(noun: str, path: str) -> str:
    return f"""Apply up to {MAX_BATCH_ITEMS} creates and updates of {noun}s in one request, in the order given; far
cheaper than one request each (one transaction, one commit). For backfills, imports from another system and sync.

Each item is answered in `results` (same order, `index` from 0) **exactly as its own request would have been**:
a create as `POST {path}` (201, `body`, `etag`, `location`), an update as `PATCH {path}/{{id}}` (200; `if_match` is its
`If-Match`: missing 428, stale 412), with the same validation and the same problem document on failure (`problem`,
whose `status` is also the item's `status`). An item that fails changes nothing and does not undo the others; the
response itself is 200 whenever the batch could be read, so look at every item's `status`.

- **Idempotency per item**: give a create an `idempotency_key`; keys are the ones of the `Idempotency-Key` header
  (scoped to your credential), so a retried item answers its first result with `replayed: true`, whether that first
  try was in a batch or a single POST. A key repeated inside one batch answers its first item's result. The
  `Idempotency-Key` header on the batch itself replays the whole response.
- **Events**: every item that changed something emits its event (`*.created.v1` / `*.updated.v1`), in item order.
- **Rate limit**: a batch spends one request of your budget per item (a batch of 100 costs what 100 requests
  would), all or nothing: when the budget cannot cover it the whole batch is refused with 429 and nothing is
  applied; a batch larger than your whole per-minute limit is 422.
- **Sync** (credentials with `sync:origin`): `source_time`, `field_times` and `causation_id` per item do what the
  `Source-Time`, `Source-Field-Times` and `Causation-Id` headers do for a single write (the headers, when sent on the
  batch, apply to every item that does not give its own)."""
