"""The rank-and-grade formula, criterion by criterion."""
from ats.ranking.scoring import Applicant, grade, located_in

JOB = {"must_have_skills": ["Python", "Kubernetes"], "nice_to_have_skills": ["Terraform"], "min_years": 5,
       "location": "Berlin, Germany", "remote": False}


def test_a_perfect_applicant_scores_100_and_grade_a():
    g = grade(JOB, Applicant(skills=["python", "Kubernetes", "Terraform"], years=8, similarity=0.7, location="Berlin"))
    assert (g.score, g.grade) == (100, "A")
    assert g.breakdown["must_have"] == {"matched": ["Python", "Kubernetes"], "missing": []}


def test_each_criterion_earns_its_share_of_the_weights_that_apply():
    g = grade(JOB, Applicant(skills=["Python"], years=2.5, similarity=0.375, location="Munich"))
    # must 45 * 1/2 + nice 0 + years 20 * 0.5 + similarity 20 * 0.5 + location 0, of 110
    assert g.score == round(100 * (22.5 + 10 + 10) / 110) == 39 and g.grade == "D"
    assert "must-haves: 1 of 2 (has Python); missing Kubernetes" in g.reasons
    assert "location: not in Berlin, Germany" in g.reasons


def test_without_a_resume_the_similarity_earns_nothing_and_says_so():
    g = grade({}, Applicant(skills=[], years=None, similarity=None, location=None))
    assert g.score == 0 and g.reasons == ["no resume to compare with the job"]


def test_a_remote_job_ignores_location():
    remote = JOB | {"remote": True}
    here = grade(remote, Applicant(skills=["Python"], years=5, similarity=0.5, location="Berlin"))
    there = grade(remote, Applicant(skills=["Python"], years=5, similarity=0.5, location="Lagos"))
    assert here == there and "location" not in here.breakdown


def test_location_matches_the_city_as_a_word():
    assert located_in("Berlin-Mitte, Berlin", "Berlin, Germany")
    assert not located_in("Berlingen", "Berlin") and not located_in(None, "Berlin")
