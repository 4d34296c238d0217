"""A page of a list for a route: the cursor and limit it was asked for, run by a repository through `paginate`."""
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from sqlalchemy import Select
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, next_url, paginate
from talentkit.uow import UnitOfWork


@dataclass
class PageQuery:
    """What the client asked for (cursor, limit) and where the `Link` header goes."""

    request: Request
    response: Response
    cursor: str | None
    limit: int


def _page_query(request: Request, response: Response,
                cursor: Annotated[str | None, Query(description="`next_cursor` from the previous page.")] = None,
                limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> PageQuery:
    return PageQuery(request, response, cursor, limit)


Pages = Annotated[PageQuery, Depends(_page_query)]


async def page(uow: UnitOfWork, query: PageQuery, stmt: Select, *, created_col: Any, id_col: Any,  # type: ignore[type-arg]
               filters: dict[str, Any]) -> dict[str, Any]:
    """One page of `stmt` (oldest first) as the API's `Page` body."""
    rows, nxt = await paginate(uow.session, query.request, query.response, stmt, created_col=created_col, id_col=id_col,
                               filters=filters, cursor=query.cursor, limit=query.limit)
    return {"data": rows, "next_cursor": nxt, "next": next_url(query.request, query.response)}
