"""The Boolean search language recruiters type, parsed into a small tree.

    query    := or EOF
    or       := and ("OR" and)*
    and      := unary (["AND"] unary)*          (two terms side by side mean AND)
    unary    := ("NOT" | "-") unary | atom
    atom     := "(" or ")" | field ":" value | value
    value    := word | word* | "a quoted phrase"

`AND`, `OR` and `NOT` are operators only in capitals (`and` is a word). A word ending in `*` matches every word
starting with it (`engineer*`: engineer, engineering). `field:value` searches one field (`title:"staff engineer"`,
`skill:python`). Limits are checked before any parsing work, so an oversize query is refused at once.
"""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from talentkit.errors import BadRequest

MAX_QUERY_LENGTH = 1000
MAX_TERMS = 32
MAX_DEPTH = 16
OPERATORS = ("AND", "OR", "NOT")
_FIELD = re.compile(r"[A-Za-z_]+$")
_PREFIX_STEM = re.compile(r"[A-Za-z0-9]{2,}$")
_STOP = set(' \t\r\n()"')
TERM_START = 'a word, a "phrase", field:value, "(" or NOT'


@dataclass(frozen=True)
class Term:
    """One word, phrase or prefix, in the whole document or in one `field`."""

    text: str
    kind: Literal["word", "phrase", "prefix"] = "word"
    field: str | None = None
    position: int = 0


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Term | And | Or | Not


class QuerySyntaxError(BadRequest):
    """400: the query does not parse; says where (0-based character offset) and what was expected there."""

    title, slug = "Invalid search query", "invalid-query"

    def __init__(self, message: str, *, position: int, expected: list[str], param: str = "q") -> None:
        where = f"{message} at character {position + 1}"
        super().__init__(where + (f"; expected {' or '.join(expected)}." if expected else "."),
                         errors=[{"field": param, "message": where, "type": "query_syntax", "position": position,
                                  "expected": expected}],
                         position=position, expected=expected)


@dataclass(frozen=True)
class _Token:
    kind: Literal["(", ")", "AND", "OR", "NOT", "term", "end"]
    position: int
    term: Term | None = None


def parse(text: str, *, fields: Collection[str] = (), param: str = "q") -> Node:
    """The tree of a query; `fields` are the names allowed before `:`. Raises `QuerySyntaxError` (400)."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(f"The query is longer than {MAX_QUERY_LENGTH} characters", position=MAX_QUERY_LENGTH,
                               expected=[], param=param)
    return _Parser(_tokens(text, {f.lower() for f in fields}, param), param).parse()


def terms(node: Node) -> list[Term]:
    """Every term of the tree, left to right."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return terms(node.part)
    return [t for part in node.parts for t in terms(part)]


def _tokens(text: str, fields: set[str], param: str) -> list[_Token]:
    out: list[_Token] = []
    count = 0
    i, n = 0, len(text)

    def fail(message: str, at: int, expected: list[str]) -> QuerySyntaxError:
        return QuerySyntaxError(message, position=at, expected=expected, param=param)

    def phrase(start: int) -> tuple[str, int]:
        end = text.find('"', start + 1)
        if end < 0:
            raise fail("Unclosed quote", n, ['a closing "'])
        words = text[start + 1:end].split()
        if not words:
            raise fail("Empty phrase", start, ["words between the quotes"])
        return " ".join(words), end + 1

    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        start = i
        if c in "()":
            out.append(_Token(c, start))  # type: ignore[arg-type]
            i += 1
            continue
        if c == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] not in ")-":
            out.append(_Token("NOT", start))
            i += 1
            continue
        if c == '"':
            value, i = phrase(start)
            term = Term(value, "phrase", None, start)
        else:
            while i < n and text[i] not in _STOP:
                i += 1
            word = text[start:i]
            if word in OPERATORS:
                out.append(_Token(word, start))  # type: ignore[arg-type]
                continue
            field = None
            name, colon, rest = word.partition(":")
            if colon and _FIELD.match(name):
                field = name.lower()
                if field not in fields:
                    raise fail(f"Unknown field {name!r}", start, [f"one of {', '.join(sorted(fields))}" if fields
                                                                  else "no field (this search has none)"])
                if not rest and i < n and text[i] == '"':
                    value, i = phrase(i)
                    count += 1
                    if count > MAX_TERMS:
                        raise fail(f"More than {MAX_TERMS} terms", start, [])
                    out.append(_Token("term", start, Term(value, "phrase", field, start)))
                    continue
                if not rest:
                    raise fail(f"Nothing after {name}:", i, ['a word or a "phrase"'])
                word = rest
            term = _word(word, field, start, fail)
        count += 1
        if count > MAX_TERMS:
            raise fail(f"More than {MAX_TERMS} terms", start, [])
        out.append(_Token("term", start, term))
    out.append(_Token("end", n))
    return out


def _word(word: str, field: str | None, start: int, fail) -> Term:  # type: ignore[no-untyped-def]
    star = word.find("*")
    if star < 0:
        return Term(word, "word", field, start)
    stem = word[:-1]
    if star != len(word) - 1 or not _PREFIX_STEM.match(stem):
        raise fail("A wildcard must end a word of at least two letters or digits", start + star,
                   ["a prefix such as engineer*"])
    return Term(stem, "prefix", field, start)


class _Parser:
    def __init__(self, tokens: list[_Token], param: str) -> None:
        self.tokens, self.i, self.depth, self.param = tokens, 0, 0, param

    @property
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, message: str, token: _Token, expected: list[str]) -> QuerySyntaxError:
        return QuerySyntaxError(message, position=token.position, expected=expected, param=self.param)

    def parse(self) -> Node:
        if self.peek.kind == "end":
            raise self.fail("Empty query", self.peek, [TERM_START])
        node = self.or_()
        if self.peek.kind != "end":
            token = self.peek
            raise self.fail("Unexpected ')'" if token.kind == ")" else "Unexpected input", token, ["AND", "OR", "end of query"])
        return node

    def or_(self) -> Node:
        parts = [self.and_()]
        while self.peek.kind == "OR":
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_(self) -> Node:
        parts = [self.unary()]
        while self.peek.kind in ("AND", "NOT", "term", "("):
            if self.peek.kind == "AND":
                self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self) -> Node:
        token = self.peek
        if token.kind == "NOT":
            self.take()
            return Not(self.unary())
        if token.kind == "term":
            self.take()
            assert token.term is not None
            return token.term
        if token.kind == "(":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.fail(f"Parentheses nested deeper than {MAX_DEPTH}", token, [])
            if self.peek.kind == ")":
                raise self.fail("Empty parentheses", self.peek, [TERM_START])
            node = self.or_()
            if self.peek.kind != ")":
                raise self.fail("Unclosed '('" if self.peek.kind == "end" else "Unexpected input", self.peek, ["')'"])
            self.take()
            self.depth -= 1
            return node
        what = {"end": "Unexpected end of query", ")": "Unexpected ')'"}.get(token.kind, f"Unexpected {token.kind}")
        raise self.fail(what, token, [TERM_START])
