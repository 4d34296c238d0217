"""Candidate search over HTTP: find people by what their PDF and DOCX resumes say, in the Boolean language, with
filters, relevance weights, highlighted snippets and cursor pages; bad queries are 400s that say where."""
from __future__ import annotations

import uuid

from ats.search import repository
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .documents import DOCX_TYPE, docx, pdf


async def person(ats, marker: str, lines: list[str], *, kind: str = "pdf", **profile) -> dict:
    candidate = (await ats.create(emails=[ats.new_email()], **profile)).json()
    content, ctype = (pdf(lines), "application/pdf") if kind == "pdf" else (docx(lines), DOCX_TYPE)
    r = await ats.client.post(f"/v1/candidates/{candidate['id']}/resumes", files={"file": ("cv", content, ctype)})
    assert r.status_code == 201, r.text
    return candidate


async def found(ats, q: str, **params) -> list[str]:
    r = await ats.client.get("/v1/search/candidates", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return [hit["id"] for hit in r.json()["data"]]


async def test_a_candidate_is_found_by_a_skill_in_their_pdf_or_docx_resume(ats):
    m = "m" + uuid.uuid4().hex[:10]
    k8s = await person(ats, m, [f"Platform engineer {m}  2020 - Present", "Runs k8s clusters with Helm"], headline=None)
    nurse = await person(ats, m, [f"Registered nurse {m}", "ICU and phlebotomy"], kind="docx", headline=None)
    assert await found(ats, f"{m} kubernetes") == [k8s["id"]]  # the alias k8s was read as Kubernetes
    assert await found(ats, f"{m} skill:k8s") == [k8s["id"]]
    assert await found(ats, f"{m} skill:Phlebotomy") == [nurse["id"]]
    assert set(await found(ats, f"{m} (helm OR nurse)")) == {k8s["id"], nurse["id"]}
    assert await found(ats, f"{m} -helm") == [nurse["id"]]
    assert await found(ats, f'{m} "registered nurse"') == [nurse["id"]]
    assert await found(ats, f'{m} "nurse registered"') == []
    assert await found(ats, f"{m} phleb*") == [nurse["id"]]
    assert await found(ats, f"{m} title:platform") == [k8s["id"]]


async def test_name_and_title_weigh_more_than_the_resume_body_and_matches_are_highlighted_safely(ats):
    m = "m" + uuid.uuid4().hex[:10]
    body_only = await person(ats, m, [f"Office manager {m}", "Once met a <script>alert(1)</script> 1 < 2 & Kafka user"])
    titled = await person(ats, m, [f"Kafka {m}", "Kafka engineer  2019 - Present"], headline="Kafka streaming lead")
    r = (await ats.client.get("/v1/search/candidates", params={"q": f"{m} kafka"})).json()
    assert [hit["id"] for hit in r["data"]] == [titled["id"], body_only["id"]]
    assert r["data"][0]["score"] > r["data"][1]["score"] > 0
    snippet = r["data"][1]["snippet"]
    assert "<mark>Kafka</mark>" in snippet and "&amp;" in snippet
    assert "<" not in snippet.replace("<mark>", "").replace("</mark>", "")


async def test_filters_narrow_by_job_stage_status_tag_location_and_time(ats):
    m = "m" + uuid.uuid4().hex[:10]
    job = (await ats.client.post("/v1/jobs", json={"title": "Backend"})).json()
    await ats.client.post(f"/v1/jobs/{job['id']}/open")
    applied = await person(ats, m, [f"Go developer {m}"], tags=["referral", "gold"], location="Berlin, Germany")
    other = await person(ats, m, [f"Go developer {m}"], tags=["referral"], location="Lisbon")
    assert (await ats.client.post("/v1/applications", json={"job_id": job["id"], "candidate_id": applied["id"]})).status_code == 201
    assert await found(ats, m, job_id=job["id"]) == [applied["id"]]
    assert await found(ats, m, stage_id=job["stages"][0]["id"]) == [applied["id"]]
    assert await found(ats, m, job_id=job["id"], status="rejected") == []
    assert await found(ats, m, tag=["gold", "referral"]) == [applied["id"]]
    assert await found(ats, m, location="berlin") == [applied["id"]]
    assert await found(ats, f"{m} location:lisbon") == [other["id"]]
    assert set(await found(ats, m, updated_after=applied["updated_at"])) >= {other["id"]}


async def test_results_come_a_page_at_a_time_and_the_cursor_keeps_the_query(ats):
    m = "m" + uuid.uuid4().hex[:10]
    ids = {(await person(ats, m, [f"Welder {m} number {i}"]))["id"] for i in range(5)}
    seen, url = [], f"/v1/search/candidates?q={m}&limit=2"
    while url:
        page = (await ats.client.get(url)).json()
        assert len(page["data"]) <= 2
        seen += [hit["id"] for hit in page["data"]]
        url = page["next"]
    assert sorted(seen) == sorted(ids)
    first = (await ats.client.get(f"/v1/search/candidates?q={m}&limit=2")).json()
    r = await ats.client.get(f"/v1/search/candidates?q=other&cursor={first['next_cursor']}")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "cursor"


async def test_profile_matches_come_before_resume_only_matches_on_every_page_and_none_is_lost(ats):
    m = "m" + uuid.uuid4().hex[:10]
    profiled = {(await person(ats, m, [f"Bookkeeper {i}"], headline=f"{m} specialist"))["id"] for i in range(3)}
    resume_only = {(await person(ats, m, [f"Bookkeeper {i}", f"Once worked on {m}"], headline=None))["id"]
                   for i in range(3)}
    seen, url = [], f"/v1/search/candidates?q={m}&limit=2"
    for _ in range(3):  # pages of 2: profiles, the boundary inside the second, then past the profiles entirely
        body = (await ats.client.get(url)).json()
        seen += [hit["id"] for hit in body["data"]]
        url = body["next"]
    assert url is None
    assert len(seen) == len(set(seen)) == 6
    assert set(seen[:3]) == profiled and set(seen[3:]) == resume_only
    whole = (await ats.client.get("/v1/search/candidates", params={"q": m, "limit": 6})).json()["data"]
    assert [hit["id"] for hit in whole] == seen  # one order, however it is paged
    scores = [hit["score"] for hit in whole]
    assert scores[:3] == sorted(scores[:3], reverse=True) and scores[3:] == sorted(scores[3:], reverse=True)


async def test_best_profiles_the_whole_query_turns_down_do_not_hide_the_ones_it_accepts(ats, monkeypatch):
    monkeypatch.setattr(repository, "WINDOW", 1)  # the first window is then 4 x (offset + limit) profiles
    m = "m" + uuid.uuid4().hex[:10]
    for _ in range(9):  # the name weighs most: these rank first, but their resume says `blocker`
        await person(ats, m, ["Bookkeeper", "Has a blocker"], first_name=m, headline=None)
    wanted = await person(ats, m, ["Bookkeeper"], headline=f"{m} specialist")
    assert await found(ats, f"{m} -blocker", limit=1) == [wanted["id"]]


async def test_a_query_that_does_not_parse_is_a_400_naming_the_position_and_what_was_expected(ats):
    r = await ats.client.get("/v1/search/candidates", params={"q": "python AND (java OR"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["position"] == 19 and body["expected"] and body["errors"][0]["field"] == "q"
    r = await ats.client.get("/v1/search/candidates", params={"q": "salary:100k"})
    assert r.status_code == 400 and "one of company, location, skill, source, tag, title" in r.json()["expected"][0]
    r = await ats.client.get("/v1/search/candidates", params={"q": " ".join(f"w{i}" for i in range(40))})
    assert r.status_code == 400 and "More than 32 terms" in r.json()["detail"]


QUERY_CHARS = st.sampled_from(list('ab -"()*:') + ["AND ", "OR ", "NOT ", "skill:", "title:", "tag:", "x'); --", "é"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.lists(QUERY_CHARS, max_size=12).map("".join) | st.text(max_size=40))
async def test_random_queries_never_get_a_server_error(ats, q):
    r = await ats.client.get("/v1/search/candidates", params={"q": q})
    assert r.status_code in (200, 400, 422), (q, r.status_code, r.text)
