"""Talent map counts: one GROUP BY in SQL over the prospects a query and a pool select."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import FromClause, Select, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from crm.prospects.models import Prospect

# Seniority from the current title, first match wins; each level's words also make the link's `title:` query.
SENIORITY = (
    ("intern", ("intern", "trainee", "apprentice")),
    ("executive", ("chief", "ceo", "cto", "cfo", "coo", "vp", "president")),
    ("director", ("director", "head")),
    ("manager", ("manager",)),
    ("lead", ("lead", "principal", "staff")),
    ("senior", ("senior", "sr")),
    ("junior", ("junior", "jr", "graduate", "entry")),
)
MID = "mid"  # a title without any of the words above


def seniority(current_title: Any) -> ColumnElement[Any]:
    """The seniority level a title says (`mid` when it says none; null without a title)."""
    title = func.lower(func.coalesce(current_title, ""))
    whens = [(title.op("~")(r"\m(" + "|".join(map(re.escape, words)) + r")\M"), level) for level, words in SENIORITY]
    return case(*whens, (title != "", MID), else_=None)


def buckets(stmt: Select[Any], by: str, *, limit: int) -> Select[Any]:
    """(bucket, count) over the prospects `stmt` selects (its first column: the prospect id), largest first."""
    people = stmt.subquery()
    p = select(Prospect).where(Prospect.id.in_(select(people.c.id))).subquery()
    bucket: ColumnElement[Any]
    source: FromClause
    if by == "skill":
        skill = func.unnest(p.c.skills).table_valued("skill").render_derived()
        bucket = func.lower(skill.c.skill)
        source = p.join(skill, true())
        count = func.count(func.distinct(p.c.id))
    else:
        bucket = {"company": lambda: func.lower(func.btrim(p.c.current_company)),
                  "title": lambda: func.lower(func.btrim(p.c.current_title)),
                  "location": lambda: func.lower(func.btrim(func.split_part(p.c.location, ",", 1))),
                  "seniority": lambda: seniority(p.c.current_title)}[by]()
        source, count = p, func.count()
    label = bucket.label("bucket")
    return (select(label, count.label("count")).select_from(source).group_by(label)
            .order_by(count.desc(), label.asc().nulls_last()).limit(limit))


async def counts(session: AsyncSession, stmt: Select[Any]) -> list[Any]:
    return list((await session.execute(stmt)).all())
