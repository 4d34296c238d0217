"""Import use cases: upload (read and checked at once, worked through later), progress, cancel, and one chunk of
rows (what the background worker runs): each row creates a prospect or fills a known one, deduplicated by email,
and every change records its event through the unit of work."""
from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from talentkit.auth import Principal, RequestContext
from talentkit.errors import (
    NotFound,
    ProblemError,
    Unprocessable,
    field_error,
    unstorable_value,
)
from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork

from crm.imports import repository
from crm.imports.csvfile import (
    CsvRefused,
    RowProblem,
    Sheet,
    column_of,
    read,
    row_values,
    storable,
)
from crm.imports.models import ImportRowError, ProspectImport
from crm.imports.schemas import ImportOptions, OnExisting
from crm.prospects.models import Prospect
from crm.prospects.schemas import ProspectCreate, ProspectUpdate
from crm.prospects.service import prospects

CHUNK_ROWS = 200  # rows per transaction: a crash loses at most one chunk's work, which is then done again
LISTS = ("emails", "phones", "tags", "skills", "links")


def refused(exc: CsvRefused) -> Unprocessable:
    return Unprocessable(f"The file cannot be imported: {exc}", errors=[field_error(exc.field, str(exc), "invalid_csv")])


async def upload(*, uow: UnitOfWork, content: bytes, filename: str | None, options: ImportOptions,
                 idempotency_key: str | None, max_rows: int, sheet: Sheet | None = None,
                 ctx: RequestContext) -> tuple[ProspectImport, bool]:
    """A new import of the file (queued), or the existing one of the same file and options (or of the same
    Idempotency-Key); returns it and whether it is new. A file that cannot be read is 422."""
    session = uow.session
    sha = hashlib.sha256(content).hexdigest()
    options_key = options.model_dump_json()
    if idempotency_key and (earlier := await repository.by_idempotency_key(session, ctx.principal.key_id, idempotency_key)):
        if (earlier.sha256, earlier.options_key) != (sha, options_key):
            raise Unprocessable("This Idempotency-Key was already used with another file or options; use a new key.",
                                errors=[field_error("Idempotency-Key", "reused with a different request", "idempotency_key_reused")])
        return earlier, False
    if (existing := await repository.same_file(session, sha, options_key)) is not None:
        return existing, False
    try:
        sheet = sheet or read(content, max_rows=max_rows)
    except CsvRefused as exc:
        raise refused(exc) from None
    record = ProspectImport(id=uuid.uuid4(), status="queued", filename=filename, sha256=sha,
                            options=json.loads(options_key), options_key=options_key, content=content,
                            encoding=sheet.encoding, delimiter=sheet.delimiter, columns=sheet.columns,
                            unknown_columns=sheet.unknown_columns, total=len(sheet.rows), processed=0, created=0,
                            updated=0, skipped=0, failed=0, principal_key=ctx.principal.key_id,
                            idempotency_key=idempotency_key, created_by=ctx.actor, on_behalf_of=ctx.on_behalf_of)
    if not sheet.rows:
        record.advanced(rows=0, created=0, updated=0, skipped=0, failed=0)
    session.add(record)
    await uow.flush()
    return record, True


async def get(*, uow: UnitOfWork, import_id: uuid.UUID, for_update: bool = False) -> ProspectImport:
    """The import, or 404."""
    record = await repository.get(uow.session, import_id, for_update=for_update)
    if record is None:
        raise NotFound(f"No import with id {import_id}.")
    return record


async def list_errors(*, uow: UnitOfWork, paging: Paging, import_id: uuid.UUID) -> dict[str, Any]:
    """A page of the import's failed rows in file order (404 for an unknown import)."""
    await get(uow=uow, import_id=import_id)
    return await paging.page(uow.session, repository.errors_of(import_id), created_col=ImportRowError.created_at,
                             id_col=ImportRowError.id, filters={"import": str(import_id)})


async def cancel(*, uow: UnitOfWork, import_id: uuid.UUID) -> ProspectImport:
    """Stop an import before its next rows (waits for a chunk in progress to commit); 409 once finished."""
    record = await get(uow=uow, import_id=import_id, for_update=True)
    record.cancel()
    return record


@dataclass
class _Tally:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[ImportRowError] = field(default_factory=list)


class ImportRunner:
    """Works through imports a chunk per transaction. Replicas share the work safely: a chunk holds its import's
    row lock (others skip it), and `processed` moves in the commit that applied the rows, so a crash resumes at
    the first row not committed. Keeps the last file it parsed, so a chunk does not parse the file again."""

    MAX_FAILURES = 3  # a chunk that keeps failing unexpectedly stops its import instead of blocking the queue

    def __init__(self, uows: Any, *, max_rows: int) -> None:
        self.uows, self.max_rows = uows, max_rows
        self._sheet: tuple[uuid.UUID, Sheet] | None = None
        self._failures: dict[uuid.UUID, int] = {}

    async def run_chunk(self) -> bool:
        """Apply the next chunk of the oldest unfinished import nobody else holds; False when there is none. An
        unexpected error rolls the chunk back (it is tried again); the third in a row marks the import `failed`."""
        holder: list[uuid.UUID] = []
        try:
            return await self._run_chunk(holder)
        except Exception as exc:
            if not holder:
                raise
            self._failures[holder[0]] = failures = self._failures.get(holder[0], 0) + 1
            if failures >= self.MAX_FAILURES:
                async with self.uows() as uow:
                    record = await repository.get(uow.session, holder[0], for_update=True)
                    if record is not None and record.unfinished:
                        record.broke(f"Stopped after {failures} failed attempts at row {record.processed + 2}: "
                                     f"{type(exc).__name__}")
                    await uow.commit()
            raise

    async def _run_chunk(self, holder: list[uuid.UUID]) -> bool:
        async with self.uows() as uow:
            record = await repository.claim_unfinished(uow.session)
            if record is None:
                return False
            holder.append(record.id)
            try:
                sheet = await self._sheet_of(uow, record)
            except CsvRefused as exc:
                record.broke(str(exc))
            else:
                ctx = RequestContext(principal=Principal(record.created_by, frozenset(), on_behalf_of=record.on_behalf_of))
                uow.ctx = ctx
                rows = sheet.rows[record.processed:record.processed + CHUNK_ROWS]
                tally = await _apply_rows(uow, record, sheet, rows, ctx)
                uow.session.add_all(tally.errors)
                record.advanced(rows=len(rows), created=tally.created, updated=tally.updated, skipped=tally.skipped,
                                failed=len(tally.errors))
            if not record.unfinished:
                self._sheet = None
            await uow.commit()
            return True

    async def _sheet_of(self, uow: UnitOfWork, record: ProspectImport) -> Sheet:
        if self._sheet is None or self._sheet[0] != record.id:
            content = await repository.content(uow.session, record.id)
            if content is None:
                raise CsvRefused("The file is gone.")
            self._sheet = (record.id, read(content, max_rows=max(self.max_rows, record.total)))
        return self._sheet[1]


async def _apply_rows(uow: UnitOfWork, record: ProspectImport, sheet: Sheet, rows: list[tuple[int, list[str]]],
                      ctx: RequestContext) -> _Tally:
    tally = _Tally()
    options = ImportOptions.model_validate(record.options)
    parsed = [(line, cells, *row_values(sheet, cells)) for line, cells in rows]
    columns = lambda name: column_of(sheet, name)
    known = await repository.live_by_emails(uow.session, sorted({e.lower() for *_, v, _ in parsed for e in v.get("emails", [])}))

    def fail(line: int, cells: list[str], problem: RowProblem) -> None:
        value = cells[sheet.header.index(problem.column)] if problem.column in sheet.header else None
        tally.errors.append(ImportRowError(import_id=record.id, row=line, column=problem.column, message=problem.message,
                                           value=storable(value[:200]) if value is not None else None))

    for line, cells, values, problems in parsed:
        if problems:
            for p in problems:
                fail(line, cells, p)
            continue
        match = next((known[e.lower()] for e in values.get("emails", []) if e.lower() in known), None)
        try:
            async with uow.savepoint():
                if match is None:
                    created = await _create(uow, {**values, "source": options.source}, columns, ctx)
                    known.update({e: created for e in created.emails})
                    tally.created += 1
                elif options.on_existing == OnExisting.SKIP or not await _fill_blanks(
                        uow, match, {**values, "source": options.source}, columns, ctx):
                    tally.skipped += 1
                else:
                    known.update({e: match for e in match.emails})
                    tally.updated += 1
        except _Invalid as exc:
            for p in exc.problems:
                fail(line, cells, p)
        except ProblemError as exc:
            fail(line, cells, RowProblem(None, exc.detail or exc.title))
        except DBAPIError as exc:
            if unstorable_value(exc) is None:
                raise
            fail(line, cells, RowProblem(None, "a value cannot be stored"))
    return tally


class _Invalid(Exception):
    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems


def _validated(schema: type[Any], values: dict[str, Any], columns: Callable[[str], str | None]) -> Any:
    """The row's values as the API would accept them, or the problems named by column."""
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        raise _Invalid([RowProblem(columns(str(e["loc"][0])) if e["loc"] else None,
                                   f"{e['loc'][0]}: {e['msg']}" if e["loc"] else e["msg"])
                        for e in exc.errors(include_url=False)]) from None


async def _create(uow: UnitOfWork, values: dict[str, Any], columns: Callable[[str], str | None],
                  ctx: RequestContext) -> Prospect:
    missing = [RowProblem(columns(f), f"{f} is needed for a new prospect") for f in ("first_name", "last_name")
               if not values.get(f)]
    if missing:
        raise _Invalid(missing)
    body = _validated(ProspectCreate, values, columns)
    return await prospects.create(uow=uow, values=body.model_dump(), ctx=ctx)


async def _fill_blanks(uow: UnitOfWork, prospect: Prospect, values: dict[str, Any],
                       columns: Callable[[str], str | None], ctx: RequestContext) -> bool:
    """Fill what the prospect has empty, add new list values; never overwrite, never blank. True if it changed."""
    wanted: dict[str, Any] = {}
    for name, value in values.items():
        if name in LISTS:
            merged = list(dict.fromkeys([*getattr(prospect, name), *value]))
            if merged != getattr(prospect, name):
                wanted[name] = merged
        elif not getattr(prospect, name):
            wanted[name] = value
    if not wanted:
        return False
    body = _validated(ProspectUpdate, wanted, columns)
    await prospects.update(uow=uow, id=prospect.id, values=body.model_dump(exclude_unset=True), if_match="*", ctx=ctx)
    return True

