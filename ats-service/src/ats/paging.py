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

    async def page(self, session: AsyncSession, stmt: Select[Any], *, model: Any, filters: dict[str, Any]) -> dict[str, Any]:
        """One page of `stmt`, oldest first, as a list body (`data`, `next_cursor`, `next`), with the Link header."""
        rows, cursor = await paginate(session, self.request, self.response, stmt, created_col=model.created_at,
                                      id_col=model.id, filters=filters, cursor=self.cursor, limit=self.limit)
        return {"data": rows, "next_cursor": cursor, "next": next_url(self.request, self.response)}

    def offset(self, filters: dict[str, Any]) -> int:
        """Where a computed order (a search's relevance, a score) resumes: the cursor's offset (0 without one)."""
        return cursor_offset(self.cursor, {k: v for k, v in filters.items() if v is not None})

    def offset_page(self, rows: list[Any], *, offset: int, filters: dict[str, Any]) -> dict[str, Any]:
        """A list body from `rows` fetched at `offset` with `limit + 1` (the extra row says a next page exists)."""
        return offset_body(rows, offset=offset, limit=self.limit, filters=filters, link_next=self.link_next)

    def link_next(self, params: dict[str, Any]) -> str:
        """Set `Link: rel=next` to this list with `params`; return the URL."""
        url = f"{self.request.url.path}?{urlencode(params, doseq=True)}"
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
