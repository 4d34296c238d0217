"""RFC 9457 problem details: domain errors carry their HTTP meaning; one set of handlers renders them."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("talentkit.errors")


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


def problem_response(status: int, title: str, *, slug: str, detail: str | None = None,
                     instance: str | None = None, errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """Render a problem+json response."""
    body: dict[str, Any] = {"type": f"/problems/{slug}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else [str(p) for p in loc]
    return ".".join(parts) or str(loc[0] if loc else "body")


def install_error_handlers(app: FastAPI) -> None:
    """Make every error, expected or not, a problem+json response."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.status, exc.title, slug=exc.slug, detail=exc.detail,
                                instance=request.url.path, errors=exc.errors, headers=exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errs):
            msg = next(e for e in errs if e.get("type") == "json_invalid").get("ctx", {}).get("error", "")
            return problem_response(400, "Malformed JSON", slug="malformed-json", instance=request.url.path,
                                    detail=f"The request body is not valid JSON: {msg}".rstrip(": "),
                                    errors=[field_error("body", "not valid JSON", "json_invalid")])
        errors = []
        for e in errs:
            loc = tuple(e.get("loc", ()))
            errors.append({"field": _field_path(loc), "location": str(loc[0]) if loc else "body",
                           "message": e.get("msg", "invalid"), "type": e.get("type", "invalid")})
        return problem_response(422, "Validation failed", slug="validation-error", instance=request.url.path,
                                detail="One or more fields are invalid; see `errors`.", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), slug=f"http-{exc.status_code}",
                                instance=request.url.path, headers=getattr(exc, "headers", None))

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        state = getattr(exc.orig, "sqlstate", None) or getattr(getattr(exc.orig, "__cause__", None), "sqlstate", None)
        if state and str(state).startswith("22"):  # data exception: a value PostgreSQL cannot store or compare
            return problem_response(422, "Validation failed", slug="validation-error", instance=request.url.path,
                                    detail=f"A value is out of range or not representable ({type(exc.orig).__name__}); nothing was stored.")
        return await _unexpected(request, exc)

    @app.exception_handler(PoolTimeout)
    async def _busy(request: Request, exc: PoolTimeout) -> JSONResponse:
        log.warning("no database connection free in time", extra={"path": request.url.path})
        return problem_response(503, "Service busy", slug="busy", instance=request.url.path, headers={"Retry-After": "2"},
                                detail="Every database connection is in use; retry after `Retry-After` seconds.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(500, "Internal server error", slug="internal", instance=request.url.path,
                                detail="Something went wrong on our side; the request id identifies it in our logs.")
