"""Compile a parsed query to SQLAlchemy expressions over PostgreSQL full text: every value is a bound parameter
(never concatenated into SQL); terms of the whole document fold into one `tsquery`, so one GIN index lookup
serves them and a stop word (`the`) drops out instead of matching nothing."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, literal, literal_column, not_, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Text

from talentkit.search.query import And, Node, Not, Term

# A field's predicate: the term (its text and kind) and its tsquery -> a boolean SQL expression.
FieldPredicate = Callable[[Term, ColumnElement[Any]], ColumnElement[bool]]


def regconfig(name: str = "english") -> ColumnElement[Any]:
    """A text search configuration as a constant (expression indexes only match a constant config)."""
    if not name.isidentifier():
        raise ValueError(f"not a text search configuration name: {name!r}")
    return literal_column(f"'{name}'::regconfig")


def tsquery(term: Term, config: str = "english") -> ColumnElement[Any]:
    """The tsquery of one term: words as plain text, phrases in order, prefixes as `stem:*`."""
    cfg = regconfig(config)
    if term.kind == "phrase":
        return func.phraseto_tsquery(cfg, literal(term.text, Text), type_=TSQUERY)
    if term.kind == "prefix":  # the parser let only letters and digits through: to_tsquery cannot fail on it
        return func.to_tsquery(cfg, literal(f"{term.text}:*", Text), type_=TSQUERY)
    return func.plainto_tsquery(cfg, literal(term.text, Text), type_=TSQUERY)


def matches(document: Any, query: ColumnElement[Any]) -> ColumnElement[bool]:
    """`document @@ query`."""
    return document.op("@@")(query)


@dataclass(frozen=True)
class Compiled:
    where: ColumnElement[bool]
    rank_query: ColumnElement[Any] | None  # the positive document terms OR-ed: for ts_rank and ts_headline


def compile_query(node: Node, *, document: Any, fields: Mapping[str, FieldPredicate],
                  config: str = "english") -> Compiled:
    """The WHERE clause of a query over the `document` tsvector, and the tsquery to rank and highlight with."""
    kind, expr = _compile(node, document, fields, config)
    positive = [tsquery(t, config) for t in _positive_terms(node) if t.field is None]
    rank = None
    for q in positive:
        rank = q if rank is None else func.tsquery_or(rank, q, type_=TSQUERY)
    return Compiled(where=matches(document, expr) if kind == "text" else expr, rank_query=rank)


def _compile(node: Node, document: Any, fields: Mapping[str, FieldPredicate], config: str) -> tuple[str, Any]:
    """("text", tsquery) while a subtree is only document terms, else ("sql", boolean expression)."""
    if isinstance(node, Term):
        q = tsquery(node, config)
        return ("text", q) if node.field is None else ("sql", fields[node.field](node, q))
    if isinstance(node, Not):
        kind, expr = _compile(node.part, document, fields, config)
        return ("text", func.tsquery_not(expr, type_=TSQUERY)) if kind == "text" else ("sql", not_(expr))
    combine_text = func.tsquery_and if isinstance(node, And) else func.tsquery_or
    combine_sql = and_ if isinstance(node, And) else or_
    texts: list[Any] = []
    sqls: list[Any] = []
    for part in node.parts:
        kind, expr = _compile(part, document, fields, config)
        (texts if kind == "text" else sqls).append(expr)
    text = None
    for q in texts:
        text = q if text is None else combine_text(text, q, type_=TSQUERY)
    if not sqls:
        return "text", text
    return "sql", combine_sql(*([matches(document, text)] if text is not None else []), *sqls)


def _positive_terms(node: Node, negated: bool = False) -> list[Term]:
    if isinstance(node, Term):
        return [] if negated else [node]
    if isinstance(node, Not):
        return _positive_terms(node.part, not negated)
    return [t for part in node.parts for t in _positive_terms(part, negated)]


async def custom_plans(session: AsyncSession) -> None:
    """Plan this transaction's search statements for their own query text. The statements are prepared and
    cached; after five runs PostgreSQL would keep one generic plan, which cannot fold `plainto_tsquery($1)` to a
    constant and so parses the query again for every row it ranks (measured: 18 ms instead of 7 ms for one common
    word over 100,000 profiles). Planning each time costs under a millisecond."""
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


# --- field predicates the services compose their field maps from ----------------------------------------------

def text_field(column: Any, config: str = "english") -> FieldPredicate:
    """Full text over one text column (pair it with a GIN index on `to_tsvector(config, coalesce(column, ''))`)."""
    return lambda term, q: matches(func.to_tsvector(regconfig(config), func.coalesce(column, "")), q)


def lower_array(column: Any) -> ColumnElement[Any]:
    """`talent_lower_array(column)`: the array lower-cased (an IMMUTABLE SQL function each service's migrations
    create, so a GIN expression index serves `@>`)."""
    return func.talent_lower_array(column, type_=ARRAY(Text))


def array_field(column: Any) -> FieldPredicate:
    """An element of a text array equals the value (any case); a prefix matches elements starting with it."""
    def predicate(term: Term, _q: ColumnElement[Any]) -> ColumnElement[bool]:
        value = term.text.lower()
        if term.kind == "prefix":
            element = func.unnest(column).table_valued("element").alias("element")
            return exists(select(literal(1)).select_from(element).where(func.lower(element.c.element).like(f"{value}%")))
        return lower_array(column).contains(literal([value], ARRAY(Text)))
    return predicate


def equals_field(column: Any) -> FieldPredicate:
    """A text column equals the value (any case); a prefix matches values starting with it."""
    def predicate(term: Term, _q: ColumnElement[Any]) -> ColumnElement[bool]:
        value = term.text.lower()
        return func.lower(column).like(f"{value}%") if term.kind == "prefix" else func.lower(column) == value
    return predicate


# For each service's migration: the function `lower_array` calls.
LOWER_ARRAY_FUNCTION = """
CREATE OR REPLACE FUNCTION talent_lower_array(text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
$$ SELECT coalesce(array_agg(lower(x)), '{}') FROM unnest($1) AS x $$
"""
