"""Talent map use case: counts per bucket for a search, each with the search that lists the bucket's people."""
from __future__ import annotations

import csv
import io
import re
import uuid
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from talentkit.uow import UnitOfWork

from crm.search import repository as search
from crm.search.repository import Filters
from crm.search.service import parse_query
from crm.talent_map import repository
from crm.talent_map.schemas import Bucket, Dimension, TalentMap

FIELD = {Dimension.COMPANY: "company", Dimension.TITLE: "title", Dimension.SKILL: "skill", Dimension.LOCATION: "location"}


async def talent_map(*, uow: UnitOfWork, q: str | None, pool_id: uuid.UUID | None, by: Dimension, limit: int) -> TalentMap:
    """Counts of the selected prospects per bucket of `by`, largest first."""
    filters = Filters(pool_id=pool_id)
    if q and q.strip():
        stmt = search.fulltext(parse_query(q), filters)[0]
    else:
        stmt = select(search.Prospect.id.label("id")).where(*filters.where())
    total = (await uow.session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))).scalar_one()
    rows = await repository.counts(uow.session, repository.buckets(stmt.order_by(None), by.value, limit=limit))
    return TalentMap(by=by, q=q, total=total, buckets=[
        Bucket(value=r.bucket, count=r.count, search=link(q, pool_id, by, r.bucket)) for r in rows])


def link(q: str | None, pool_id: uuid.UUID | None, by: Dimension, value: str | None) -> str | None:
    """The prospect search that lists one bucket's people (none for unknown values or the `mid` level)."""
    if value is None:
        return None
    if by == Dimension.SENIORITY:
        words = dict(repository.SENIORITY).get(value)
        if not words:
            return None
        narrow = "(" + " OR ".join(f"title:{w}" for w in words) + ")"
    else:
        if not re.fullmatch(r'[^"]+', value):
            return None
        narrow = f'{FIELD[by]}:"{value}"'
    query = f"({q}) {narrow}" if q and q.strip() else narrow
    params = {"q": query, "mode": "boolean", **({"pool_id": str(pool_id)} if pool_id else {})}
    return "/v1/search/prospects?" + urlencode(params)


def as_csv(result: TalentMap) -> str:
    """`value,count,search` rows (RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([result.by.value, "count", "search"])
    for b in result.buckets:
        writer.writerow([_cell(b.value), b.count, b.search or ""])
    return out.getvalue()


def _cell(value: Any) -> Any:
    """Spreadsheet formula injection: a cell starting with = + - @ is read as text."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else ("" if value is None else value)
