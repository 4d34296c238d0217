"""RFC 9457 problem details: domain errors carry their HTTP meaning; one set of handlers renders them."""
from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from talentkit.db import connection_lost

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("talentkit.errors")


class SafeJSONResponse(JSONResponse):
    """JSON that may quote what the client sent (a field name in a problem's `errors`), and that may hold a lone
    surrogate (`{"\\ud800": 1}` is valid JSON). UTF-8 cannot carry one, so it goes out as the same `\\uXXXX`
    escape (what `backslashreplace` writes is JSON's own escape), never as a failure to render the answer."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
            "utf-8", "backslashreplace")


class ProblemResponse(SafeJSONResponse):
    """An RFC 9457 problem document."""

    media_type = PROBLEM_JSON


class ProblemError(Exception):
    """Base of every error a client should see as problem+json."""

    status = 500
    title = "Internal server error"
    slug = "internal"

    def __init__(self, detail: str | None = None, *, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra


class BadRequest(ProblemError):
    status, title, slug = 400, "Bad request", "bad-request"


class Unauthorized(ProblemError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(ProblemError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(ProblemError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(ProblemError):
    status, title, slug = 409, "Conflict", "conflict"


class Gone(ProblemError):
    """The record existed and was erased: it will never accept a write again."""

    status, title, slug = 410, "Gone", "gone"


class PreconditionFailed(ProblemError):
    status, title, slug = 412, "Precondition failed", "precondition-failed"


class ContentTooLarge(ProblemError):
    status, title, slug = 413, "Content too large", "too-large"


class Unprocessable(ProblemError):
    status, title, slug = 422, "Unprocessable content", "unprocessable"


class PreconditionRequired(ProblemError):
    status, title, slug = 428, "Precondition required", "precondition-required"


def field_error(field: str, message: str, type_: str = "invalid") -> dict[str, str]:
    """One entry of a problem's `errors` list."""
    return {"field": field, "message": message, "type": type_}


def problem_body(status: int, title: str, *, slug: str, detail: str | None = None, instance: str | None = None,
                 errors: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """The RFC 9457 document of a problem (also one item's outcome in a batch)."""
    body: dict[str, Any] = {"type": f"/problems/{slug}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem_response(status: int, title: str, *, slug: str, detail: str | None = None,
                     instance: str | None = None, errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """Render a problem+json response."""
    body = problem_body(status, title, slug=slug, detail=detail, instance=instance, errors=errors, **extra)
    return ProblemResponse(body, status_code=status, headers=headers)


def problem_of(exc: ProblemError, instance: str | None = None) -> dict[str, Any]:
    """The problem document of a domain error."""
    return problem_body(exc.status, exc.title, slug=exc.slug, detail=exc.detail, instance=instance, errors=exc.errors,
                        **exc.extra)


def validation_problem(errs: list[Any], instance: str | None = None) -> dict[str, Any]:
    """422 naming each field at fault (pydantic's errors), as the request validation handler renders them."""
    errors = []
    for e in errs:
        loc = tuple(e.get("loc", ()))
        errors.append({"field": _field_path(loc), "location": str(loc[0]) if loc else "body",
                       "message": e.get("msg", "invalid"), "type": e.get("type", "invalid")})
    return problem_body(422, "Validation failed", slug="validation-error", instance=instance,
                        detail="One or more fields are invalid; see `errors`.", errors=errors)


def sqlstate(exc: DBAPIError) -> str | None:
    """PostgreSQL's SQLSTATE of a database error (e.g. `23P01`), whichever driver layer carries it."""
    state = getattr(exc.orig, "sqlstate", None) or getattr(getattr(exc.orig, "__cause__", None), "sqlstate", None)
    return str(state) if state else None


# A request that lost a race to a concurrent one: a unique, exclusion or foreign-key constraint decided against it,
# or PostgreSQL aborted it to break a deadlock or a serialization conflict. Its transaction is rolled back whole.
CONCURRENT_CONFLICTS = {"23505", "23P01", "23503", "40P01", "40001"}


def unstorable_value(exc: DBAPIError, instance: str | None = None) -> dict[str, Any] | None:
    """422 for a value PostgreSQL cannot store or compare (SQLSTATE class 22), else None (a server error)."""
    if (sqlstate(exc) or "").startswith("22"):  # data exception
        return problem_body(422, "Validation failed", slug="validation-error", instance=instance,
                            detail=f"A value is out of range or not representable ({type(exc.orig).__name__}); nothing was stored.")
    return None


def lost_race(exc: DBAPIError, instance: str | None = None) -> dict[str, Any] | None:
    """409 for a request that lost a race with a concurrent one (see CONCURRENT_CONFLICTS), else None."""
    if (state := sqlstate(exc)) not in CONCURRENT_CONFLICTS:
        return None
    log.warning("a request lost a race to a concurrent one", extra={"path": instance, "sqlstate": state})
    return problem_body(409, "Concurrent change", slug="concurrent-change", instance=instance,
                        detail="A concurrent request changed the same data first; nothing was stored. Read the current "
                               "state and retry if it still applies (with the same `Idempotency-Key`).")


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path", "header", "cookie", "item") else [str(p) for p in loc]
    return ".".join(parts) or str(loc[0] if loc else "body")


def _unavailable(request: Request, exc: BaseException) -> JSONResponse:
    log.warning("database connection lost", extra={"path": request.url.path, "error": repr(exc)})
    return problem_response(503, "Database unavailable", slug="database-unavailable", instance=request.url.path,
                            headers={"Retry-After": "1"},
                            detail="The connection to the database was lost and nothing was stored; retry after "
                                   "`Retry-After` seconds (with the same `Idempotency-Key` for a POST).")


def install_error_handlers(app: FastAPI) -> None:
    """Make every error, expected or not, a problem+json response."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return ProblemResponse(problem_of(exc, request.url.path), status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errs):
            msg = next(e for e in errs if e.get("type") == "json_invalid").get("ctx", {}).get("error", "")
            return problem_response(400, "Malformed JSON", slug="malformed-json", instance=request.url.path,
                                    detail=f"The request body is not valid JSON: {msg}".rstrip(": "),
                                    errors=[field_error("body", "not valid JSON", "json_invalid")])
        return ProblemResponse(validation_problem(list(errs), request.url.path), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), slug=f"http-{exc.status_code}",
                                instance=request.url.path, headers=getattr(exc, "headers", None))

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if connection_lost(exc):
            return _unavailable(request, exc)
        if (body := unstorable_value(exc, request.url.path) or lost_race(exc, request.url.path)) is not None:
            return ProblemResponse(body, status_code=body["status"])
        return await _unexpected(request, exc)

    @app.exception_handler(PoolTimeout)
    async def _busy(request: Request, exc: PoolTimeout) -> JSONResponse:
        log.warning("no database connection free in time", extra={"path": request.url.path})
        return problem_response(503, "Service busy", slug="busy", instance=request.url.path, headers={"Retry-After": "2"},
                                detail="Every database connection is in use; retry after `Retry-After` seconds.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if connection_lost(exc):
            return _unavailable(request, exc)
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(500, "Internal server error", slug="internal", instance=request.url.path,
                                detail="Something went wrong on our side; the request id identifies it in our logs.")
