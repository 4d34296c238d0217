"""Opaque cursor pagination (keyset on created_at, id); the cursor carries the list's filters."""
from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from talentkit.errors import BadRequest, field_error

T = TypeVar("T")
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


class Page(BaseModel, Generic[T]):
    """One page of a list. Follow `next` (also in the `Link` header) until it is null."""

    data: list[T]
    next_cursor: str | None = Field(None, description="Opaque cursor for the next page; it remembers the filters.")
    next: str | None = Field(None, description="URL of the next page, or null on the last page.")


def encode_cursor(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":"), default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Decode a cursor or answer 400 naming the `cursor` parameter."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(payload, dict) or not isinstance(payload.get("after"), list):
            raise ValueError
        return payload
    except ValueError:
        raise BadRequest("The cursor is not one this API issued.", errors=[field_error("cursor", "invalid cursor")]) from None


async def paginate(session: AsyncSession, request: Request, response: Response, stmt: Select[Any], *,
                   created_col: Any, id_col: Any, filters: dict[str, Any], cursor: str | None,
                   limit: int) -> tuple[list[Any], str | None]:
    """Run `stmt` one page at a time (filters must already be applied); set the Link header; return rows and next cursor.

    When a cursor is given, its stored filters are authoritative and `filters` must equal them."""
    if cursor:
        payload = decode_cursor(cursor)
        if payload.get("filters", {}) != {k: v for k, v in filters.items() if v is not None}:
            raise BadRequest("The cursor was issued for other filters; drop the filters or the cursor.",
                             errors=[field_error("cursor", "filters differ from the cursor's")])
        try:
            created, last_id = payload["after"]
            position = (datetime.fromisoformat(created), uuid.UUID(str(last_id)))
        except (TypeError, ValueError):
            raise BadRequest("The cursor is not one this API issued.", errors=[field_error("cursor", "invalid cursor")]) from None
        stmt = stmt.where(tuple_(created_col, id_col) > position)
    rows = (await session.execute(stmt.order_by(created_col, id_col).limit(limit + 1))).scalars().all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor({"after": [getattr(last, created_col.key).isoformat(), str(getattr(last, id_col.key))],
                                     "filters": {k: v for k, v in filters.items() if v is not None}})
        params = {k: v for k, v in filters.items() if v is not None} | {"cursor": next_cursor, "limit": limit}
        next_url = f"{request.url.path}?{urlencode(params, doseq=True)}"
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return list(rows), next_cursor


def next_url(request: Request, response: Response) -> str | None:
    """The `next` URL that `paginate` put in the Link header."""
    link = response.headers.get("Link")
    return link[1:link.index(">")] if link else None


async def paginate_by_offset(session: AsyncSession, request: Request, response: Response, stmt: Select[Any],
                             ordered: Any, *, filters: dict[str, Any], cursor: str | None,
                             limit: int) -> tuple[list[Any], str | None]:
    """Pages of a computed order (e.g. a decaying score) that has no stable key: the cursor carries an offset
    and the filters. `ordered(session, request, stmt, offset, limit)` returns the rows."""
    kept = {k: v for k, v in filters.items() if v is not None}
    offset = cursor_offset(cursor, kept)
    rows = list(await ordered(session, request, stmt, offset, limit + 1))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor({"after": [offset + limit], "filters": kept})
        params = kept | {"cursor": next_cursor, "limit": limit}
        response.headers["Link"] = f'<{request.url.path}?{urlencode(params, doseq=True)}>; rel="next"'
    return rows, next_cursor


def cursor_offset(cursor: str | None, filters: dict[str, Any]) -> int:
    """The offset an offset cursor carries (0 without a cursor); 400 when it was issued for other filters."""
    if not cursor:
        return 0
    payload = decode_cursor(cursor)
    if payload.get("filters", {}) != filters:
        raise BadRequest("The cursor was issued for other filters; drop the filters or the cursor.",
                         errors=[field_error("cursor", "filters differ from the cursor's")])
    try:
        (offset,) = payload["after"]
        return max(int(offset), 0)
    except (TypeError, ValueError):
        raise BadRequest("The cursor is not one this API issued.", errors=[field_error("cursor", "invalid cursor")]) from None


def offset_body(rows: list[Any], *, offset: int, limit: int, filters: dict[str, Any],
                link_next: Any) -> dict[str, Any]:
    """A list body from `rows` read at `offset` with `limit + 1` (the extra row says a next page exists);
    `link_next(params)` sets the Link header and returns the next page's URL."""
    kept = {k: v for k, v in filters.items() if v is not None}
    cursor = url = None
    if len(rows) > limit:
        rows = rows[:limit]
        cursor = encode_cursor({"after": [offset + limit], "filters": kept})
        url = link_next(kept | {"cursor": cursor, "limit": limit})
    return {"data": rows, "next_cursor": cursor, "next": url}
