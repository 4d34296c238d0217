"""Opaque cursor pagination (keyset on created_at, id); the cursor carries the list's filters."""
from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from talentkit.errors import BadRequest, field_error

T = TypeVar("T")
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


class Page(BaseModel, Generic[T]):
    """One page of a list. Follow `next` (also in the `Link` header) until it is null."""

    data: list[T]
    next_cursor: str | None = Field(None, description="Opaque cursor for the next page; it remembers the filters.")
    next: str | None = Field(None, description="URL of the next page, or null on the last page.")


class CountedPage(Page[T], Generic[T]):
    """One page of a list, with how many records the whole list holds when `count=true` was asked for."""

    total: int | None = Field(None, description="With `count=true`: how many records match the filters across "
                              "every page (counted now; null otherwise). For progress bars.")


def encode_cursor(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":"), default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Decode a cursor or answer 400 naming the `cursor` parameter."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:  # bad base64, bad UTF-8 and bad JSON are all ValueErrors
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("after"), list):
        raise BadRequest("The cursor is not one this API issued.", errors=[field_error("cursor", "invalid cursor")])
    return payload


def sorted_not_walked(column: Any) -> Any:
    """`column` to order by, in the same order, as no index gives it (`+ interval '0'`): a selective filter's matches
    are then sorted, where PostgreSQL might walk the column's index in order and filter it (all of it, when
    nothing matches)."""
    return column + text("interval '0'")


async def paginate(session: AsyncSession, request: Request, response: Response, stmt: Select[Any], *,
                   created_col: Any, id_col: Any, filters: dict[str, Any], cursor: str | None,
                   limit: int, sort_matches: bool = False) -> tuple[list[Any], str | None]:
    """Run `stmt` one page at a time (filters must already be applied); set the Link header; return rows and next cursor.

    When a cursor is given, its stored filters are authoritative and `filters` must equal them. `sort_matches`: the
    filters pick few rows through an index of their own, so the rows they match are sorted, rather than the
    (created, id) index walked in order and filtered: PostgreSQL, which cannot tell how few rows an email lookup
    matches, walked that index to its end (100,000 profiles: 50 to 90 ms) when nothing matched."""
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
    first = sorted_not_walked(created_col) if sort_matches else created_col
    rows = (await session.execute(stmt.order_by(first, id_col).limit(limit + 1))).scalars().all()
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


@dataclass(frozen=True)
class Paging:
    """A list request's page: the cursor and limit asked for, and where the `Link` header goes. Routes get one from
    a `PageQuery` dependency and hand it to the service, which runs its repository's query through it."""

    request: Request
    response: Response
    cursor: str | None
    limit: int

    async def page(self, session: AsyncSession, stmt: Select[Any], *, filters: dict[str, Any], model: Any = None,
                   created_col: Any = None, id_col: Any = None) -> dict[str, Any]:
        """One page of `stmt` in (`created_col`, `id_col`) order (`model`'s created_at and id by default), as a list
        body (`data`, `next_cursor`, `next`), with the Link header."""
        rows, cursor = await paginate(session, self.request, self.response, stmt,
                                      created_col=model.created_at if created_col is None else created_col,
                                      id_col=model.id if id_col is None else id_col,
                                      filters=filters, cursor=self.cursor, limit=self.limit)
        return {"data": rows, "next_cursor": cursor, "next": next_url(self.request, self.response)}

    def offset(self, filters: dict[str, Any]) -> int:
        """Where a computed order (relevance, a score) resumes: the cursor's offset (0 without one)."""
        return cursor_offset(self.cursor, {k: v for k, v in filters.items() if v is not None})

    def offset_page(self, rows: list[Any], *, offset: int, filters: dict[str, Any]) -> dict[str, Any]:
        """A list body from `rows` fetched at `offset` with `limit + 1` (the extra row says a next page exists)."""
        return offset_body(rows, offset=offset, limit=self.limit, filters=filters, link_next=self.link_next)

    def link_next(self, params: dict[str, Any]) -> str:
        """Set `Link: rel=next` to this list with `params` (those not None); return the URL."""
        url = f"{self.request.url.path}?{urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)}"
        self.response.headers["Link"] = f'<{url}>; rel="next"'
        return url


def page_query(default_limit: int = DEFAULT_LIMIT) -> Any:
    """The dependency type of a list's `cursor` and `limit` query parameters."""
    def paging(request: Request, response: Response,
               cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
               limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = default_limit) -> Paging:
        return Paging(request, response, cursor, limit)
    return Annotated[Paging, Depends(paging)]


PageQuery = page_query()


def iso(value: Any) -> str | None:
    """A filter value as a cursor keeps it (datetimes and ids as strings)."""
    return value.isoformat() if hasattr(value, "isoformat") else (str(value) if value is not None else None)
