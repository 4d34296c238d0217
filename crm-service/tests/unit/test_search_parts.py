"""Pieces of CRM search without a database: the openness formula, talent map links and CSV cells, the text a
prospect's embedding is computed from, and what rediscovery reads from a job opening."""
import uuid
from urllib.parse import parse_qs, urlparse

from crm.alerts.schemas import JobOpening
from crm.embeddings.text import prospect_text
from crm.openness.formula import MAX_SCORE, explain
from crm.talent_map.schemas import Bucket, Dimension, TalentMap
from crm.talent_map.service import as_csv, link


def test_openness_adds_the_points_of_the_first_tier_each_signal_reaches():
    score, parts = explain({"tenure_months": 30, "engagement_trend": 3, "visits_30d": 1, "replies_60d": 0,
                            "profile_updated": 1})
    assert score == 25 + 20 + 10 + 0 + 15 and MAX_SCORE == 100
    assert {p["signal"]: p["points"] for p in parts}["tenure_months"] == 25
    assert explain({"tenure_months": 13})[0] == 10 and explain({"tenure_months": None})[0] == 0
    assert next(p["reason"] for p in parts if p["reason"]) == "30 months at their current company"


def test_a_talent_map_bucket_links_the_search_that_lists_it():
    url = link("python", None, Dimension.COMPANY, "acme corp")
    assert parse_qs(urlparse(url).query)["q"] == ['(python) company:"acme corp"']
    pool = uuid.uuid4()
    assert parse_qs(urlparse(link(None, pool, Dimension.SENIORITY, "senior")).query) == {
        "q": ["(title:senior OR title:sr)"], "mode": ["boolean"], "pool_id": [str(pool)]}
    assert link(None, None, Dimension.SENIORITY, "mid") is None and link(None, None, Dimension.TITLE, None) is None


def test_csv_cells_cannot_carry_spreadsheet_formulas():
    result = TalentMap(by=Dimension.COMPANY, q=None, total=2, buckets=[Bucket(value="=cmd()", count=1, search=None),
                                                                        Bucket(value=None, count=1, search=None)])
    assert as_csv(result).splitlines() == ["company,count,search", "'=cmd(),1,", ",1,"]


def test_the_embedding_text_is_about_the_work_not_the_person():
    text = prospect_text(headline="Builds APIs", current_title="Backend engineer", current_company="Acme",
                         skills=["Go", "gRPC"], first_name="Ada", emails=["ada@example.com"])
    assert text == "Backend engineer. Builds APIs. Skills: Go, gRPC. At Acme"
    assert prospect_text(headline=None, current_title=None, current_company=None, skills=[]) == ""


def test_a_job_opening_gives_rediscovery_its_skills_location_and_text():
    opening = JobOpening(job_id=uuid.uuid4(), title="Senior Site Reliability Engineer", description="<p>Kubernetes</p>",
                         requirements={"must_have_skills": ["Kubernetes"], "nice_to_have_skills": ["Go"],
                                       "location": "Berlin", "remote": False, "min_years": 3},
                         skills=["Helm"]).opening()
    assert opening.skills == ["Kubernetes", "Helm", "Go"] and opening.location == "Berlin"
    assert opening.title_words() == ["site", "reliability", "engineer"]
    assert "<p>" not in opening.text() and "Kubernetes" in opening.text()
