"""JSON responses for a versioned resource: body, ETag, and Location for a creation."""
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from talentkit.concurrency import etag


class SerializedJSON(JSONResponse):
    """A JSON response whose body pydantic already serialized (in Rust, without an intermediate dict)."""

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else super().render(content)


def resource_response(schema: type[BaseModel], record: Any, *, status_code: int = 200, location: str | None = None,
                      version: int | None = None) -> JSONResponse:
    """Serialize `record` with `schema`; ETag from `version` (default `record.version`)."""
    body = schema.model_validate(record).model_dump_json().encode()
    headers: dict[str, str] = {}
    v = version if version is not None else getattr(record, "version", None)
    if v is not None:
        headers["ETag"] = etag(v)
    if location:
        headers["Location"] = location
    return SerializedJSON(body, status_code=status_code, headers=headers)
