"""Rank and grade over HTTP: a job's requirements (normalised, carried in `ats.job.opened.v1`), applications scored
and explained, the same scores on every call, and nothing about who a person is ever changing a score."""
from __future__ import annotations

import json

from .documents import pdf

DESCRIPTION = ("We run a Kubernetes platform for payments. You will build Python services, operate clusters with "
               "Terraform and Helm, and keep PostgreSQL fast. On call one week in six.")


async def job_with(ats, **requirements) -> dict:
    r = await ats.client.post("/v1/jobs", json={"title": "Senior Platform Engineer", "description": DESCRIPTION,
                                                "requirements": requirements})
    assert r.status_code == 201, r.text
    assert (await ats.client.post(f"/v1/jobs/{r.json()['id']}/open")).status_code == 200
    return r.json()


async def applicant(ats, job: dict, lines: list[str] | None, **profile) -> dict:
    candidate = (await ats.create(emails=[ats.new_email()], **profile)).json()
    if lines is not None:
        r = await ats.client.post(f"/v1/candidates/{candidate['id']}/resumes",
                                  files={"file": ("cv.pdf", pdf(lines), "application/pdf")})
        assert r.status_code == 201, r.text
    r = await ats.client.post("/v1/applications", json={"job_id": job["id"], "candidate_id": candidate["id"]})
    assert r.status_code == 201, r.text
    return {"candidate": candidate, "application": r.json()}


async def ranked(ats, job: dict) -> list[dict]:
    r = await ats.client.get(f"/v1/jobs/{job['id']}/ranked-applications")
    assert r.status_code == 200, r.text
    return r.json()["data"]


STRONG = ["Platform engineer at Paycorp  2016 - Present",
          "Kubernetes, Python, Terraform, Helm and PostgreSQL for a payments platform; on call."]


async def test_applications_are_ranked_graded_and_explained(ats):
    job = await job_with(ats, must_have_skills=["python", "k8s"], nice_to_have_skills=["Terraform"], min_years=5,
                         location="Berlin, Germany")
    assert job["requirements"]["must_have_skills"] == ["Python", "Kubernetes"]
    strong = await applicant(ats, job, STRONG, location="Berlin")
    medium = await applicant(ats, job, ["Backend developer at Shopco  2023 - Present", "Python and Django web shops."],
                             location="Berlin")
    weak = await applicant(ats, job, ["Registered nurse, city hospital  2010 - Present", "ICU, patient care."],
                           location="Lisbon")
    none = await applicant(ats, job, None, location="Berlin")
    rows = await ranked(ats, job)
    order = [r["application_id"] for r in rows]
    assert order[:2] == [strong["application"]["id"], medium["application"]["id"]]
    assert set(order[2:]) == {weak["application"]["id"], none["application"]["id"]}
    best, second = rows[0], rows[1]
    assert best["grade"] == "A" and best["score"] >= 80
    assert best["breakdown"]["must_have"] == {"matched": ["Python", "Kubernetes"], "missing": []}
    assert second["breakdown"]["must_have"]["missing"] == ["Kubernetes"] and second["grade"] in ("C", "D")
    assert any("missing Kubernetes" in reason for reason in second["reasons"])
    assert second["breakdown"]["years"]["found"] < 5
    by_id = {r["application_id"]: r for r in rows}
    assert best["breakdown"]["similarity"] > by_id[weak["application"]["id"]]["breakdown"]["similarity"] + 0.2
    assert "no resume to compare with the job" in by_id[none["application"]["id"]]["reasons"]
    assert await ranked(ats, job) == rows  # reproducible


async def test_who_the_person_is_never_changes_the_score(ats):
    job = await job_with(ats, must_have_skills=["Python"], min_years=3, remote=True)
    ada = await applicant(ats, job, ["Ada Lovelace", "ada@example.com | +44 20 7946 0958", "Born 10 December 1815",
                                     "Gender: female", *STRONG], first_name="Ada", last_name="Lovelace",
                          location="London", tags=["referral"])
    grace = await applicant(ats, job, ["Grace Hopper", "grace@example.org | +1 415 555 0100", "Date of birth: 1906-12-09",
                                       "Gender: female", *STRONG], first_name="Grace", last_name="Hopper",
                            location="Arlington, Virginia", tags=[])
    before = {r["application_id"]: r for r in await ranked(ats, job)}
    a, g = before[ada["application"]["id"]], before[grace["application"]["id"]]
    assert (a["score"], a["grade"], a["breakdown"]) == (g["score"], g["grade"], g["breakdown"])
    # Changing the profile itself (name, emails, phones, location for a remote job, tags) changes nothing either.
    candidate = ada["candidate"]
    r = await ats.client.patch(f"/v1/candidates/{candidate['id']}", headers={"If-Match": f'"{candidate["version"] + 1}"'},
                               json={"first_name": "Augusta", "last_name": "King", "emails": [ats.new_email()],
                                     "phones": ["+33 1 23 45 67 89"], "location": "Paris", "tags": ["vip"]})
    assert r.status_code == 200, r.text
    after = {r["application_id"]: r for r in await ranked(ats, job)}
    assert after[ada["application"]["id"]] == a


async def test_requirements_are_edited_through_the_api_and_carried_in_the_job_opened_event(ats):
    job = await job_with(ats, must_have_skills=["Go"], remote=True)
    r = await ats.client.patch(f"/v1/jobs/{job['id']}", headers={"If-Match": f'"{job["version"] + 1}"'},
                               json={"requirements": {"must_have_skills": ["golang", "PostgreSQL"], "min_years": 2}})
    assert r.status_code == 200, r.text
    assert r.json()["requirements"]["must_have_skills"] == ["Go", "PostgreSQL"]
    bad = await ats.client.patch(f"/v1/jobs/{job['id']}", headers={"If-Match": f'"{r.json()["version"]}"'},
                                 json={"requirements": {"min_years": -1, "salary": 1}})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"requirements.min_years", "requirements.salary"}
    records = await ats.events_for(job["id"], topic="ats.jobs", until=lambda rs: any(
        dict(x.headers)["ce_type"] == b"ats.job.opened.v1" for x in rs))
    opened = json.loads(next(x for x in records if dict(x.headers)["ce_type"] == b"ats.job.opened.v1").value)
    assert opened["job"]["description"] == DESCRIPTION
    assert opened["job"]["requirements"]["must_have_skills"] == ["Go"] and opened["job"]["requirements"]["remote"] is True


async def test_an_unknown_job_is_404(ats):
    r = await ats.client.get("/v1/jobs/00000000-0000-0000-0000-000000000000/ranked-applications")
    assert r.status_code == 404
