"""A list request's page: the cursor and limit asked for, and where the `Link` header goes. Routes get one from
the `PageQuery` dependency and hand it to the service, which runs its repository's query through it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request, Response
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    cursor_offset,
    next_url,
    offset_body,
    paginate,
)


@dataclass(frozen=True)
class Paging:
    request: Request
    response: Response
    cursor: str | None
    limit: int

    async def page(self, session: AsyncSession, stmt: Select[Any], *, created_col: Any, id_col: Any,
                   filters: dict[str, Any]) -> dict[str, Any]:
        """One page of `stmt` in (`created_col`, `id_col`) order, as a list body (`data`, `next_cursor`, `next`),
        with the Link header."""
        rows, cursor = await paginate(session, self.request, self.response, stmt, created_col=created_col,
                                      id_col=id_col, filters=filters, cursor=self.cursor, limit=self.limit)
        return {"data": rows, "next_cursor": cursor, "next": next_url(self.request, self.response)}

    def offset(self, filters: dict[str, Any]) -> int:
        """Where a computed order (relevance, a score) resumes: the cursor's offset (0 without one)."""
        return cursor_offset(self.cursor, {k: v for k, v in filters.items() if v is not None})

    def offset_page(self, rows: list[Any], *, offset: int, filters: dict[str, Any]) -> dict[str, Any]:
        """A list body from `rows` fetched at `offset` with `limit + 1` (the extra row says a next page exists)."""
        return offset_body(rows, offset=offset, limit=self.limit, filters=filters, link_next=self.link_next)

    def link_next(self, params: dict[str, Any]) -> str:
        """Set `Link: rel=next` to this list with `params`; return the URL."""
        url = f"{self.request.url.path}?{urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)}"
        self.response.headers["Link"] = f'<{url}>; rel="next"'
        return url


def _paging(request: Request, response: Response,
            cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
            limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> Paging:
    return Paging(request, response, cursor, limit)


PageQuery = Annotated[Paging, Depends(_paging)]


def iso(value: Any) -> str | None:
    """A filter value as a cursor keeps it (datetimes and ids as strings)."""
    return value.isoformat() if hasattr(value, "isoformat") else (str(value) if value is not None else None)
