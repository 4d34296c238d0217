"""The business flows between the ATS pipeline and CRM nurture (DESIGN.md §3, flows 1-4), through the running
services and Kafka."""
import uuid

SILVER_POOL = "00000000-0000-4000-8000-00000000c0de"
WE_REJECTED = "00000000-0000-4000-8000-000000000001"  # seeded reject reason "Not a fit for the role"


async def _open_job(e2e, http, title="Platform engineer") -> dict:
    job = (await http.post(f"{e2e.ats_url}/v1/jobs", json={"title": title, "openings": 1})).json()
    resp = await http.post(f"{e2e.ats_url}/v1/jobs/{job['id']}/open")
    assert resp.status_code == 200, resp.text
    return resp.json()


async def _timeline(e2e, http, prospect_id: str) -> list[dict]:
    return (await http.get(f"{e2e.crm_url}/v1/prospects/{prospect_id}/activities", params={"limit": 200})).json()["data"]


async def test_pushing_a_prospect_to_a_job_creates_the_candidate_and_application_and_links_them(e2e, http, api, email):
    job = await _open_job(e2e, http)
    addr = email("push")
    prospect = await api.create("crm", first_name="Linus", last_name="T", emails=[addr], source="sourced")
    pools = (await http.get(f"{e2e.crm_url}/v1/pools")).json()["data"]
    pool = next(p for p in pools if p["id"] == SILVER_POOL)
    assert (await http.post(f"{e2e.crm_url}/v1/pools/{pool['id']}/members", json={"prospect_id": prospect["id"]})).status_code == 201

    resp = await http.post(f"{e2e.crm_url}/v1/prospects/{prospect['id']}/push-to-job", json={"job_id": job["id"]},
                           headers={"Idempotency-Key": str(uuid.uuid4())})
    assert resp.status_code == 202, resp.text

    async def application():
        cands = await api.by_email("ats", addr)
        if not cands:
            return None
        apps = (await http.get(f"{e2e.ats_url}/v1/applications", params={"candidate_id": cands[0]["id"]})).json()["data"]
        return (cands, apps) if apps else None
    cands, apps = await e2e.wait_until(application, timeout=15, message="the ATS candidate and application")
    assert len(cands) == 1 and len(apps) == 1
    assert apps[0]["job_id"] == job["id"] and apps[0]["stage"]["kind"] == "applied"
    link = await api.link_of_candidate(cands[0]["id"])
    assert link["crm_prospect_id"] == prospect["id"]

    async def applied_stage():
        members = (await http.get(f"{e2e.crm_url}/v1/pools/{SILVER_POOL}/members")).json()["data"]
        mine = [m for m in members if m["prospect_id"] == prospect["id"]]
        return mine if mine and mine[0]["stage"]["name"] == "applied" else None
    await e2e.wait_until(applied_stage, timeout=15, message="the prospect's talent stage `applied`")
    kinds = [a["kind"] for a in await _timeline(e2e, http, prospect["id"])]
    assert "pushed_to_job" in kinds and "applied" in kinds


async def test_an_application_from_someone_in_the_crm_shows_on_the_crm_timeline(e2e, http, api, email):
    job = await _open_job(e2e, http)
    addr = email("known")
    prospect = await api.create("crm", first_name="Known", last_name="Person", emails=[addr], source="event")
    resp = await http.post(f"{e2e.ats_url}/v1/applications", json={
        "job_id": job["id"], "candidate": {"first_name": "Known", "last_name": "Person", "emails": [addr.upper()]}})
    assert resp.status_code == 201, resp.text

    async def applied():
        return [a for a in await _timeline(e2e, http, prospect["id"]) if a["kind"] == "applied"] or None
    entries = await e2e.wait_until(applied, timeout=15, message="`applied` on the CRM timeline")
    assert entries[0]["data"]["job_id"] == job["id"]
    assert len(await api.by_email("crm", addr)) == 1  # linked, not duplicated


async def test_a_hire_marks_the_prospect_hired_and_attributes_the_source_of_hire(e2e, http, api, email):
    job = await _open_job(e2e, http)
    addr = email("hire")
    prospect = await api.create("crm", first_name="Hedy", last_name="Lamarr", emails=[addr], source="referral")
    app = (await http.post(f"{e2e.ats_url}/v1/applications", json={
        "job_id": job["id"], "candidate": {"first_name": "Hedy", "last_name": "Lamarr", "emails": [addr], "source": "linkedin"}})).json()
    resp = await http.post(f"{e2e.ats_url}/v1/applications/{app['id']}/hire",
                           json={"override": True, "override_reason": "exec hire"})
    assert resp.status_code == 200, resp.text

    async def hired():
        p, _ = await api.get("crm", prospect["id"])
        return p if p["status"] == "hired" else None
    await e2e.wait_until(hired, timeout=15, message="the prospect marked hired")

    async def attributed():
        c, _ = await api.get("ats", app["candidate_id"])
        return c if c["source"] == "referral" else None
    await e2e.wait_until(attributed, timeout=15, message="source of hire = the CRM's first touch")


async def test_a_late_stage_rejection_makes_a_silver_medalist(e2e, http, api, email):
    job = await _open_job(e2e, http)
    addr = email("silver")
    app = (await http.post(f"{e2e.ats_url}/v1/applications", json={
        "job_id": job["id"], "candidate": {"first_name": "Silver", "last_name": "Medal", "emails": [addr]}})).json()
    stages = (await http.get(f"{e2e.ats_url}/v1/jobs/{job['id']}/stages")).json()
    interview = next(s for s in stages if s["kind"] == "interview")
    assert (await http.post(f"{e2e.ats_url}/v1/applications/{app['id']}/move",
                            json={"from_stage_id": stages[0]["id"], "to_stage_id": interview["id"]})).status_code == 200
    assert (await http.post(f"{e2e.ats_url}/v1/applications/{app['id']}/reject",
                            json={"reject_reason_id": WE_REJECTED})).status_code == 200
    link = await api.link_of_candidate(app["candidate_id"])

    async def silver():
        members = (await http.get(f"{e2e.crm_url}/v1/pools/{SILVER_POOL}/members", params={"limit": 200})).json()["data"]
        mine = [m for m in members if m["prospect_id"] == link["crm_prospect_id"]]
        return mine or None
    members = await e2e.wait_until(silver, timeout=15, message="membership of the Silver medalists pool")
    assert members[0]["stage"]["name"] == "silver_medalist"
    prospect, _ = await api.get("crm", link["crm_prospect_id"])
    assert "silver-medalist" in prospect["tags"]


async def test_an_early_rejection_does_not_make_a_silver_medalist(e2e, http, api, email):
    job = await _open_job(e2e, http)
    addr = email("early")
    app = (await http.post(f"{e2e.ats_url}/v1/applications", json={
        "job_id": job["id"], "candidate": {"first_name": "Early", "last_name": "Reject", "emails": [addr]}})).json()
    assert (await http.post(f"{e2e.ats_url}/v1/applications/{app['id']}/reject",
                            json={"reject_reason_id": WE_REJECTED})).status_code == 200
    link = await api.link_of_candidate(app["candidate_id"])

    async def rejected_seen():
        return [a for a in await _timeline(e2e, http, link["crm_prospect_id"]) if a["kind"] == "rejected"] or None
    await e2e.wait_until(rejected_seen, timeout=15, message="the rejection on the CRM timeline")
    prospect, _ = await api.get("crm", link["crm_prospect_id"])
    assert "silver-medalist" not in prospect["tags"]


async def test_a_job_opening_alerts_its_recruiter_with_matching_silver_medalists(e2e, http, api, email):
    addr = email("match")
    prospect = await api.create("crm", first_name="Kube", last_name="Expert", emails=[addr], source="sourced",
                                headline="Site reliability engineer")
    assert (await http.post(f"{e2e.crm_url}/v1/pools/{SILVER_POOL}/members", json={"prospect_id": prospect["id"]})).status_code in (201, 409)
    recruiter = f"rec-{uuid.uuid4().hex[:8]}@acme.io"
    job = (await http.post(f"{e2e.ats_url}/v1/jobs", json={"title": "Site Reliability Engineer", "recruiter": recruiter})).json()
    assert (await http.post(f"{e2e.ats_url}/v1/jobs/{job['id']}/open")).status_code == 200

    async def alert():
        data = (await http.get(f"{e2e.crm_url}/v1/alerts", params={"recipient": recruiter})).json()["data"]
        return data or None
    alerts = await e2e.wait_until(alert, timeout=15, message="a job_matches alert for the recruiter")
    assert alerts[0]["kind"] == "job_matches" and alerts[0]["data"]["job_id"] == job["id"]
    top = alerts[0]["data"]["matches"]
    assert any(m["prospect_id"] == prospect["id"] and "silver medalist" in m["reasons"] for m in top)


async def _nurtured(e2e, http, prospect_id: str) -> dict:
    """Grant email consent and enroll the prospect in a fresh two-step sequence (the second step days later)."""
    assert (await http.put(f"{e2e.crm_url}/v1/prospects/{prospect_id}/consent/email", json={
        "status": "granted", "lawful_basis": "consent", "source": "event", "text_version": "v1"})).status_code == 200
    seq = (await http.post(f"{e2e.crm_url}/v1/sequences", json={"name": f"n-{uuid.uuid4().hex[:6]}", "steps": [
        {"kind": "task", "body": "Call them"}, {"kind": "email", "delay": 5, "subject": "Hi", "body": "Hello"}]})).json()
    enrollment = await http.post(f"{e2e.crm_url}/v1/sequences/{seq['id']}/enrollments", json={"prospect_id": prospect_id})
    assert enrollment.status_code == 201, enrollment.text
    return {"sequence": seq, "enrollment": enrollment.json()}


async def _exited(e2e, http, enrollment_id: str, reason: str) -> None:
    async def done():
        e = (await http.get(f"{e2e.crm_url}/v1/enrollments/{enrollment_id}")).json()
        return e if e["status"] == "exited" else None
    e = await e2e.wait_until(done, 15, message=f"the enrollment exited ({reason})")
    assert e["exit_reason"] == reason


async def test_applying_in_the_ats_ends_nurture_with_reason_applied(e2e, http, api, email):
    job = await _open_job(e2e, http)
    addr = email("nurtured")
    prospect = await api.create("crm", first_name="Nur", last_name="Tured", emails=[addr], source="sourced")
    n = await _nurtured(e2e, http, prospect["id"])
    resp = await http.post(f"{e2e.ats_url}/v1/applications", json={
        "job_id": job["id"], "candidate": {"first_name": "Nur", "last_name": "Tured", "emails": [addr]}})
    assert resp.status_code == 201, resp.text
    await _exited(e2e, http, n["enrollment"]["id"], "applied")


async def test_a_hire_ends_every_enrollment_and_excludes_the_person_from_nurture(e2e, http, api, email):
    job = await _open_job(e2e, http)
    addr = email("hired")
    prospect = await api.create("crm", first_name="Hi", last_name="Red", emails=[addr], source="event")
    n = await _nurtured(e2e, http, prospect["id"])
    app = (await http.post(f"{e2e.ats_url}/v1/applications", json={
        "job_id": job["id"], "candidate": {"first_name": "Hi", "last_name": "Red", "emails": [addr]}})).json()
    await _exited(e2e, http, n["enrollment"]["id"], "applied")
    assert (await http.post(f"{e2e.ats_url}/v1/applications/{app['id']}/hire",
                            json={"override": True, "override_reason": "referral"})).status_code == 200

    async def hired():
        p, _ = await api.get("crm", prospect["id"])
        return p if p["status"] == "hired" else None
    await e2e.wait_until(hired, 15, message="the prospect hired")
    again = await http.post(f"{e2e.crm_url}/v1/sequences/{n['sequence']['id']}/enrollments", json={"prospect_id": prospect["id"]})
    assert again.status_code == 409 and again.json()["prospect_status"] == "hired"


async def test_a_silver_medalist_is_enrolled_in_the_pools_sequence(e2e, http, api, email):
    seq = (await http.post(f"{e2e.crm_url}/v1/sequences", json={"name": f"silver-{uuid.uuid4().hex[:6]}", "steps": [
        {"kind": "task", "body": "Keep in touch"}]})).json()
    pool = await http.get(f"{e2e.crm_url}/v1/pools/{SILVER_POOL}")
    patched = await http.patch(f"{e2e.crm_url}/v1/pools/{SILVER_POOL}", json={"sequence_id": seq["id"]},
                               headers={"If-Match": pool.headers["etag"]})
    assert patched.status_code == 200, patched.text
    try:
        job = await _open_job(e2e, http)
        addr = email("silverseq")
        prospect = await api.create("crm", first_name="Sil", last_name="Ver", emails=[addr], source="event")
        assert (await http.put(f"{e2e.crm_url}/v1/prospects/{prospect['id']}/consent/email", json={
            "status": "granted", "lawful_basis": "consent"})).status_code == 200
        app = (await http.post(f"{e2e.ats_url}/v1/applications", json={
            "job_id": job["id"], "candidate": {"first_name": "Sil", "last_name": "Ver", "emails": [addr]}})).json()
        stages = (await http.get(f"{e2e.ats_url}/v1/jobs/{job['id']}/stages")).json()
        offer = next(s for s in stages if s["kind"] == "offer")
        assert (await http.post(f"{e2e.ats_url}/v1/applications/{app['id']}/move",
                                json={"from_stage_id": stages[0]["id"], "to_stage_id": offer["id"]})).status_code == 200
        assert (await http.post(f"{e2e.ats_url}/v1/applications/{app['id']}/reject",
                                json={"reject_reason_id": WE_REJECTED})).status_code == 200

        async def enrolled():
            data = (await http.get(f"{e2e.crm_url}/v1/enrollments", params={"prospect_id": prospect["id"]})).json()["data"]
            return [e for e in data if e["sequence_id"] == seq["id"]] or None
        await e2e.wait_until(enrolled, 15, message="the silver medalist enrolled in the pool's sequence")
    finally:
        pool = await http.get(f"{e2e.crm_url}/v1/pools/{SILVER_POOL}")
        await http.patch(f"{e2e.crm_url}/v1/pools/{SILVER_POOL}", json={"sequence_id": None}, headers={"If-Match": pool.headers["etag"]})
