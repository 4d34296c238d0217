"""JSON responses for a versioned resource: body, ETag, and Location for a creation."""
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from talentkit.concurrency import etag


def resource_response(schema: type[BaseModel], record: Any, *, status_code: int = 200, location: str | None = None,
                      version: int | None = None) -> JSONResponse:
    """Serialize `record` with `schema`; ETag from `version` (default `record.version`)."""
    body = schema.model_validate(record).model_dump(mode="json")
    headers: dict[str, str] = {}
    v = version if version is not None else getattr(record, "version", None)
    if v is not None:
        headers["ETag"] = etag(v)
    if location:
        headers["Location"] = location
    return JSONResponse(body, status_code=status_code, headers=headers)
