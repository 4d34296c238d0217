"""`/v1/imports`: upload a CSV of prospects, follow its progress and row errors, cancel it."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.errors import BadRequest, ProblemError, Unprocessable, field_error
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, Paging
from talentkit.responses import resource_response

from crm.imports import service
from crm.imports.csvfile import HEADERS, CsvRefused, read
from crm.imports.schemas import (
    ImportOptions,
    ImportRead,
    ImportRowErrorRead,
    OnExisting,
)
from crm.imports.worker import import_settings, wake
from crm.prospects.schemas import ProspectSource

router = APIRouter(prefix="/v1/imports", tags=["Imports"])
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
P = PROBLEM_ANSWER
MAPPING = "\n".join(f"| `{name}` | {', '.join(f'`{a}`' for a in aliases)} |" for name, aliases in HEADERS.items())


class TooLarge(ProblemError):
    status, title, slug = 413, "Content too large", "too-large"


class UnsupportedType(ProblemError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


async def _file(request: Request, filename: str | None, max_bytes: int) -> tuple[bytes, str | None]:
    """The uploaded bytes: a multipart form's `file` part, or the body itself (`text/csv`)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=10)
        except Exception as exc:  # noqa: BLE001 - a malformed multipart body is the client's
            raise BadRequest(f"The multipart body cannot be read: {exc}", errors=[field_error("file", "unreadable multipart body")]) from None
        part = form.get("file")
        if not isinstance(part, UploadFile):
            raise Unprocessable("Send the CSV as the form's `file` part.", errors=[field_error("file", "missing")])
        content, filename = await part.read(), filename or part.filename
    elif kind in ("text/csv", "text/plain", "application/csv", "application/octet-stream"):
        content = await request.body()
    else:
        raise UnsupportedType("Send the CSV as `text/csv` or as the `file` part of `multipart/form-data`.")
    if len(content) > max_bytes:
        raise TooLarge(f"The file has {len(content)} bytes; at most {max_bytes}.")
    if not content.strip():
        raise Unprocessable("The file is empty.", errors=[field_error("file", "empty")])
    return content, filename


@router.post("", status_code=202, response_model=ImportRead, summary="Import prospects from a CSV file",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "text/csv": {"schema": {"type": "string", "format": "binary"}},
                 "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                     "file": {"type": "string", "format": "binary", "description": "The CSV file."}}}}}}},
             responses={200: {"description": "This file was uploaded before with the same options (or this "
                                             "`Idempotency-Key` was): the existing import.", "model": ImportRead},
                        413: {"description": "The file is larger than the limit (10 MB by default).", **P},
                        415: {"description": "Neither `text/csv` nor `multipart/form-data`.", **P},
                        422: {"description": "The file cannot be read as a CSV of prospects (encoding, header, a quote "
                                             "that never closes, too many rows): `errors` says where.", **P}},
             description=f"""Upload a CSV of prospects (a spreadsheet export): the file is checked at once and worked
through in the background. Answers **202** with the import (`Location: /v1/imports/{{id}}`); poll it for progress.

**The file**: the request body as `text/csv`, or the `file` part of a `multipart/form-data` form (what a browser's
file input sends). UTF-8 (with or without BOM) or UTF-16 with BOM; the delimiter (`,` `;` tab `|`) is the one the
header row uses most. At most 10 MB and 50,000 rows (413 / 422, nothing stored). The first non-blank row is the
header; each further non-blank row is a prospect. A quote that never closes refuses the file (422 naming the line).

**Columns** (matched ignoring case, spaces and punctuation, so `First Name`, `first_name` and `FIRSTNAME` are one):

| field | header cells |
|---|---|
{MAPPING}

`name` is a full name, split at its last space. A header needs a first and a last name (or a full name) column.
Other columns are listed in `unknown_columns` and not imported. A cell may hold several emails, phones, tags, skills
or links separated by `;`, `|` or a line break (emails, tags and skills also by `,`); several columns may fill one
list field (e.g. `Work Email` and `Personal Email`).

**Each row**: its emails are matched (case-insensitively) against live prospects and the rows before it. Unknown:
a prospect is created with `source` = the `source` option. Known: with `on_existing=fill_blanks` (default) the
known prospect's empty fields are filled from the row and its lists gain the row's new values; **nothing is ever
overwritten or blanked**; a row that adds nothing is `skipped`. Rows without an email are always created (they
cannot be matched). A row failing the rules of `POST /v1/prospects` (or with more cells than the header, or bytes
that are not valid text) is not imported and is listed in `GET /v1/imports/{{id}}/errors` with its line, column and
message; the other rows go on. Values are stored as the text they are: a cell such as `=HYPERLINK(...)` or
`<b>name</b>` is kept as text, never evaluated. Every created or updated prospect emits `crm.prospect.created.v1` /
`crm.prospect.updated.v1` (so the sync gateway sees it) in the commit that applied its row.

**Idempotent**: uploading the same file (by its SHA-256) with the same options again returns the existing import
with 200 (unless it was cancelled); an `Idempotency-Key` header does the same for its first upload, and is 422 with
another file or other options.""")
async def upload(request: Request, ctx: Writer, uow: UoW,
                 source: Annotated[ProspectSource, Query(description="`source` of the prospects created.")] = ProspectSource.SOURCED,
                 on_existing: Annotated[OnExisting, Query(description="`fill_blanks` (default) or `skip`: what a row "
                                                                      "whose email is known does.")] = OnExisting.FILL_BLANKS,
                 filename: Annotated[str | None, Query(max_length=255, description="A name to show for a `text/csv` body.")] = None,
                 idempotency_key: Annotated[str | None, Header(max_length=255, description=(
                     "Any unique string: a retry returns the first upload's import."))] = None) -> Response:
    settings = import_settings(request.app)
    content, filename = await _file(request, filename, settings.max_bytes)
    try:
        sheet = await run_in_threadpool(read, content, max_rows=settings.max_rows)
    except CsvRefused as exc:
        raise service.refused(exc) from None
    record, new = await service.upload(uow=uow, content=content, filename=filename, sheet=sheet,
                                       options=ImportOptions(source=source, on_existing=on_existing),
                                       idempotency_key=idempotency_key, max_rows=settings.max_rows, ctx=ctx)
    if new:
        uow.after_commit.append(lambda: _wake(request))
    return resource_response(ImportRead, record, status_code=202 if new else 200, location=f"/v1/imports/{record.id}")


async def _wake(request: Request) -> None:
    wake(request.app)


@router.get("/{id}", response_model=ImportRead, summary="An import and its progress",
            responses={404: {"description": "No such import.", **P}})
async def get_import(id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """Status and counts so far: `processed` of `total`, split into `created`, `updated`, `skipped`, `failed`."""
    return resource_response(ImportRead, await service.get(uow=uow, import_id=id))


@router.get("/{id}/errors", response_model=Page[ImportRowErrorRead], summary="Rows of an import that failed",
            responses={404: {"description": "No such import.", **P}})
async def list_errors(id: uuid.UUID, request: Request, response: Response, ctx: Reader, uow: UoW,
                      cursor: Annotated[str | None, Query(description="`next_cursor` from the previous page.")] = None,
                      limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Each row not imported, in file order as the worker met them: line, column at fault and why."""
    found = await service.list_errors(uow=uow, paging=Paging(request, response, cursor, limit), import_id=id)
    return {**found, "data": [ImportRowErrorRead.model_validate(r) for r in found["data"]]}


@router.post("/{id}/cancel", response_model=ImportRead, summary="Cancel an import",
             responses={404: {"description": "No such import.", **P},
                        409: {"description": "The import has finished already.", **P}})
async def cancel_import(id: uuid.UUID, ctx: Writer, uow: UoW) -> Response:
    """Stop before the next rows; the prospects imported so far stay. The same file can then be uploaded anew."""
    return resource_response(ImportRead, await service.cancel(uow=uow, import_id=id))


