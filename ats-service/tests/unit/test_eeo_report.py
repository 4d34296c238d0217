"""The EEO report's arithmetic: small-cell suppression (with a second cell when one alone would show) and the
four-fifths rule."""
import uuid

from ats.eeo.models import DECLINED, EeoResponse
from ats.eeo.report import Respondent, dimensions, impact, suppress

STAGES = [{"id": uuid.uuid4(), "name": "Applied", "kind": "applied", "position": 0},
          {"id": uuid.uuid4(), "name": "Screen", "kind": "screen", "position": 1}]


def people(n: int, gender: str, furthest: int) -> list[Respondent]:
    answers = {"gender": gender, "race_ethnicity": DECLINED, "veteran_status": DECLINED, "disability_status": DECLINED}
    return [Respondent(furthest, answers)] * n


def test_counts_from_one_to_four_are_hidden_and_a_lone_hidden_cell_takes_the_next_smallest_with_it():
    assert suppress({"a": 12, "b": 7, "c": 3}) == {"a": 12, "b": None, "c": None}
    assert suppress({"a": 12, "b": 3, "c": 0}) == {"a": None, "b": None, "c": 0}
    assert suppress({"a": 12, "b": 2, "c": 1}) == {"a": 12, "b": None, "c": None}
    assert suppress({"a": 12, "b": 7, "c": 0}) == {"a": 12, "b": 7, "c": 0}


def test_a_selection_rate_under_four_fifths_of_the_highest_is_adverse_impact():
    rows = {r["category"]: r for r in impact({"male": 8, "female": 5, DECLINED: 0}, {"male": 10, "female": 10, DECLINED: 0})}
    assert rows["male"]["impact_ratio"] == 1.0 and rows["male"]["adverse_impact"] is False
    assert rows["female"]["impact_ratio"] == 0.625 and rows["female"]["adverse_impact"] is True
    assert rows[DECLINED]["impact_ratio"] is None


def test_no_ratio_is_given_where_a_count_is_suppressed():
    rows = {r["category"]: r for r in impact({"male": 8, "female": 3}, {"male": 10, "female": 10})}
    assert rows["female"]["selection_rate"] is None and rows["female"]["adverse_impact"] is None


def test_each_question_reports_every_stage_by_category_reached():
    report = dimensions(STAGES, people(10, "male", 1) + people(6, "female", 0) + people(5, "female", 1))
    gender = next(d for d in report if d["dimension"] == "gender")
    screen = {c["category"]: c["count"] for c in gender["stages"][1]["counts"]}
    assert screen == {"male": 10, "female": 5, DECLINED: 0}
    applied = {c["category"]: c["count"] for c in gender["stages"][0]["counts"]}
    assert applied["female"] == 11


def test_submitting_answers_audits_the_questions_never_the_answers():
    response = EeoResponse.submit(uuid.uuid4(), {"gender": "female", "race_ethnicity": "asian"}, "t")
    [event] = response.collect_events()
    assert event.internal and event.type == "ats.eeo_response.submitted.internal"
    assert event.changes == {"questions": {"before": None, "after": ["gender", "race_ethnicity"]}}
    assert "female" not in str(event.data) + str(event.changes)
    assert response.veteran_status == DECLINED
