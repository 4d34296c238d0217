"""The Boolean search language: what parses to what, what is refused and how, and that the SQL it compiles to
carries every value as a bound parameter."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, MetaData, Table, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from talentkit.search.query import (
    MAX_QUERY_LENGTH,
    MAX_TERMS,
    And,
    Not,
    Or,
    QuerySyntaxError,
    Term,
    parse,
    terms,
)
from talentkit.search.sql import array_field, compile_query, text_field

FIELDS = ("title", "skill", "company")


def test_words_side_by_side_mean_and():
    assert parse("python django") == And((Term("python", position=0), Term("django", position=7)))


def test_or_binds_looser_than_and():
    tree = parse("a b OR c")
    assert isinstance(tree, Or) and isinstance(tree.parts[0], And) and tree.parts[1] == Term("c", position=7)


def test_not_minus_phrases_parentheses_prefixes_and_fields():
    tree = parse('(java OR kotlin) -android NOT "project manager" engineer* title:"staff engineer" skill:k8s',
                 fields=FIELDS)
    assert isinstance(tree, And)
    assert isinstance(tree.parts[0], Or)
    assert tree.parts[1] == Not(Term("android", position=18))
    assert tree.parts[2] == Not(Term("project manager", "phrase", position=30))
    assert tree.parts[3] == Term("engineer", "prefix", position=48)
    assert tree.parts[4] == Term("staff engineer", "phrase", "title", position=58)
    assert tree.parts[5] == Term("k8s", "word", "skill", position=81)


def test_lower_case_operators_are_words_and_a_hyphen_inside_a_word_is_not_not():
    assert terms(parse("front-end and or not")) == [Term("front-end"), Term("and", position=10),
                                                   Term("or", position=14), Term("not", position=17)]


@pytest.mark.parametrize(("query", "position", "expected"), [
    ("python AND", 10, 'a word, a "phrase", field:value, "(" or NOT'),
    ("(python OR java", 15, "')'"),
    ("python)", 6, "AND"),
    ('"unclosed phrase', 16, 'a closing "'),
    ("pay:100k", 0, "one of company, skill, title"),
    ("title:", 6, 'a word or a "phrase"'),
    ("eng*neer", 3, "a prefix such as engineer*"),
    ("()", 1, 'a word, a "phrase", field:value, "(" or NOT'),
    ("", 0, 'a word, a "phrase", field:value, "(" or NOT'),
])
def test_a_syntax_error_names_the_position_and_what_was_expected(query, position, expected):
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query, fields=FIELDS)
    error = caught.value
    assert error.status == 400
    assert error.extra["position"] == position
    assert expected in error.extra["expected"][0]
    assert error.errors[0]["field"] == "q" and error.errors[0]["position"] == position


def test_too_many_terms_or_characters_are_refused_before_parsing():
    with pytest.raises(QuerySyntaxError, match=f"More than {MAX_TERMS} terms"):
        parse(" ".join(f"t{i}" for i in range(MAX_TERMS + 1)))
    with pytest.raises(QuerySyntaxError, match="longer than"):
        parse("a" * (MAX_QUERY_LENGTH + 1))
    with pytest.raises(QuerySyntaxError, match="nested deeper"):
        parse("(" * 20 + "a" + ")" * 20)


def _sql(query: str) -> tuple[str, dict]:
    table = Table("people", MetaData(), Column("doc", TSVECTOR), Column("title", Text), Column("skills", ARRAY(Text)))
    compiled = compile_query(parse(query, fields=FIELDS), document=table.c.doc,
                             fields={"title": text_field(table.c.title), "skill": array_field(table.c.skills),
                                     "company": text_field(table.c.title)})
    sql = compiled.where.compile(dialect=postgresql.dialect())
    return str(sql), sql.params


def test_document_terms_fold_into_one_tsquery_and_values_are_bound_parameters():
    sql, params = _sql("python OR (java -android)")
    assert sql.count("@@") == 1 and "tsquery_not" in sql and "tsquery_or" in sql
    assert "python" not in sql and set(params.values()) == {"python", "java", "android"}


def test_a_hostile_value_stays_a_parameter():
    sql, params = _sql("title:\"x'); DROP TABLE people; --\" skill:py*")
    assert "DROP" not in sql and "x'); DROP TABLE people; --" in params.values()
    assert "py%" in params.values()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab c()"-*:ORANDNOT title skill\t')), max_size=60) | st.text(max_size=80))
def test_any_input_parses_or_raises_the_400_error_never_anything_else(query):
    try:
        tree = parse(query, fields=FIELDS)
    except QuerySyntaxError as error:
        assert 0 <= error.extra["position"] <= max(len(query), MAX_QUERY_LENGTH)
        return
    assert terms(tree)
    _sql(query)
