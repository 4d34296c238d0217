"""Who may approve, file and read (issue #8, finding 15): offer approvals follow the named approver chain in order
and never come from the offer's author; a scorecard is filed by an interviewer of its interview, and interviewers
read other interviewers' feedback only after giving their own; private notes belong to the user who wrote them.

The caller's identity is the `On-Behalf-Of` user when the key acts for users, else the key's principal id; these
tests act for users through the admin key."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from talent_dev.testing import is_problem

BASE = datetime(2032, 4, 5, 9, 0, tzinfo=UTC)


def user(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def as_(who: str) -> dict[str, str]:
    return {"On-Behalf-Of": who}


async def application(ats) -> tuple[dict, dict]:
    job = (await ats.client.post("/v1/jobs", json={"title": f"Role {uuid.uuid4().hex[:6]}"})).json()
    job = (await ats.client.post(f"/v1/jobs/{job['id']}/open")).json()
    app = (await ats.client.post("/v1/applications", json={"job_id": job["id"], "candidate": ats.body(emails=[ats.new_email()])}))
    assert app.status_code == 201, app.text
    return job, app.json()


async def pending_offer(ats, approvers: list[str], author: str) -> dict:
    _, app = await application(ats)
    r = await ats.client.post("/v1/offers", headers=as_(author), json={
        "application_id": app["id"], "start_date": "2032-06-01", "salary": "90000", "currency": "EUR",
        "approvers": approvers})
    assert r.status_code == 201, r.text
    r = await ats.client.post(f"/v1/offers/{r.json()['id']}/request-approval", headers=as_(author))
    assert r.status_code == 200, r.text
    return r.json()


async def approve(ats, offer: dict, who: str | None):
    return await ats.client.post(f"/v1/offers/{offer['id']}/approve", headers=as_(who) if who else None)


async def offer_trail(ats, offer: dict) -> list[dict]:
    r = await ats.client.get("/v1/audit-events", params={"target_type": "offer", "target_id": offer["id"]})
    return r.json()["data"]


# ------------------------------------------------------------------------------------------------------ offers
async def test_approvals_follow_the_named_chain_in_order_and_each_is_audited_with_key_and_user(ats):
    author, first, second = user("recruiter"), user("manager"), user("vp")
    offer = await pending_offer(ats, [first, second.upper()], author)
    assert offer["approvers"] == [first, second] and offer["next_approver"] == first and offer["drafted_by"] == author

    p = is_problem(await approve(ats, offer, second), 409)  # out of order
    assert p["reason"] == "out_of_order" and p["next_approver"] == first
    r = await approve(ats, offer, first)
    assert r.status_code == 200, r.text
    halfway = r.json()
    assert halfway["status"] == "approval_pending" and halfway["next_approver"] == second and halfway["approved_by"] is None
    assert [(a["approver"], a["decision"], a["principal"]) for a in halfway["approvals"]] == [(first, "approved", "admin")]
    assert is_problem(await approve(ats, offer, first), 409)["next_approver"] == second  # not twice
    done = (await approve(ats, offer, second)).json()
    assert done["status"] == "approved" and done["approved_by"] == second and done["next_approver"] is None

    trail = await offer_trail(ats, offer)
    decisions = [e for e in trail if e["action"] in ("offer.approval_given", "offer.approved")]
    assert [(e["action"], e["actor"], e["on_behalf_of"]) for e in decisions] == [
        ("offer.approval_given", "admin", first), ("offer.approved", "admin", second)]
    assert decisions[0]["changes"]["approver"] == {"before": None, "after": first}
    assert (await ats.client.get("/v1/audit-events/verify")).json()["ok"] is True


async def test_the_offers_author_cannot_approve_it_nor_name_themselves_an_approver(ats):
    author, approver = user("author"), user("approver")
    offer = await pending_offer(ats, [approver], author)
    p = is_problem(await approve(ats, offer, author.upper()), 403)
    assert p["reason"] == "self_approval" and "author" in p["detail"]
    _, app = await application(ats)
    r = await ats.client.post("/v1/offers", headers=as_(author), json={"application_id": app["id"], "approvers": [approver, author]})
    assert {e["field"] for e in is_problem(r, 422)["errors"]} == {"approvers"}
    assert (await ats.client.get(f"/v1/offers/{offer['id']}")).json()["status"] == "approval_pending"


async def test_whoever_holds_the_write_scope_cannot_approve_for_the_named_approver(ats):
    offer = await pending_offer(ats, [user("cfo")], user("author"))
    assert is_problem(await approve(ats, offer, None), 403)["reason"] == "not_an_approver"  # the admin key, for nobody
    assert is_problem(await approve(ats, offer, user("someone")), 403)["reason"] == "not_an_approver"
    got = (await ats.client.get(f"/v1/offers/{offer['id']}")).json()
    assert got["status"] == "approval_pending" and got["approvals"] == []


async def test_the_next_approver_rejects_back_to_draft_with_a_reason_and_approval_starts_over(ats):
    author, first, second = user("author"), user("first"), user("second")
    offer = await pending_offer(ats, [first, second], author)
    url = f"/v1/offers/{offer['id']}"
    assert (await approve(ats, offer, first)).status_code == 200
    assert is_problem(await ats.client.post(f"{url}/reject", json={"reason": "no"}, headers=as_(first)), 409)["reason"] == "out_of_order"
    assert is_problem(await ats.client.post(f"{url}/reject", json={"reason": "no"}, headers=as_(author)), 403)["reason"] == "self_approval"
    assert {e["field"] for e in is_problem(await ats.client.post(f"{url}/reject", json={}, headers=as_(second)), 422)["errors"]} == {"reason"}
    r = await ats.client.post(f"{url}/reject", json={"reason": "salary above band"}, headers=as_(second))
    assert r.status_code == 200, r.text
    back = r.json()
    assert back["status"] == "draft" and back["approvals"][-1]["decision"] == "rejected"
    assert back["approvals"][-1]["reason"] == "salary above band"
    entry = (await offer_trail(ats, offer))[-1]
    assert entry["action"] == "offer.approval_rejected" and entry["on_behalf_of"] == second
    assert entry["changes"]["reason"] == {"before": None, "after": "salary above band"}
    # asked again: the whole chain approves again, from the first approver
    again = (await ats.client.post(f"{url}/request-approval", headers=as_(author))).json()
    assert again["approvals"] == [] and again["next_approver"] == first
    assert is_problem(await approve(ats, offer, second), 409)["next_approver"] == first


async def test_asking_for_approval_needs_an_approver_chain(ats):
    _, app = await application(ats)
    r = await ats.client.post("/v1/offers", json={"application_id": app["id"], "start_date": "2032-06-01",
                                                  "salary": "90000", "currency": "EUR"})
    r = await ats.client.post(f"/v1/offers/{r.json()['id']}/request-approval")
    assert {e["field"] for e in is_problem(r, 422)["errors"]} == {"approvers"}


# -------------------------------------------------------------------------------------------------- scorecards
async def interview(ats, interviewers: list[str], hours: float = 0) -> tuple[dict, dict]:
    job, app = await application(ats)
    stage = next(s["id"] for s in job["stages"] if s["kind"] == "interview")
    r = await ats.client.post("/v1/interviews", json={
        "application_id": app["id"], "stage_id": stage, "starts_at": (BASE + timedelta(hours=hours)).isoformat(),
        "ends_at": (BASE + timedelta(hours=hours + 1)).isoformat(), "timezone": "UTC", "interviewers": interviewers})
    assert r.status_code == 201, r.text
    return app, r.json()


def feedback(iv: dict, **extra: str) -> dict:
    return {"interview_id": iv["id"], "ratings": {"coding": "yes"}, "overall_recommendation": "yes", "notes": "Good.", **extra}


async def test_a_scorecard_is_filed_by_an_interviewer_of_the_interview_not_by_whoever_names_one(ats):
    x, y = user("x"), user("y")
    _, iv = await interview(ats, [x, y])
    # the admin key for nobody, and someone else naming x, are refused; nothing is stored
    assert is_problem(await ats.client.post("/v1/scorecards", json=feedback(iv)), 403)["reason"] == "not_an_interviewer"
    assert is_problem(await ats.client.post("/v1/scorecards", json=feedback(iv, interviewer=x)), 403)["reason"] == "not_you"
    p = is_problem(await ats.client.post("/v1/scorecards", json=feedback(iv, interviewer=x), headers=as_(y)), 403)
    assert p["reason"] == "not_you"
    assert (await ats.client.get("/v1/scorecards", params={"interview_id": iv["id"]})).json()["data"] == []
    r = await ats.client.post("/v1/scorecards", json=feedback(iv), headers=as_(x.upper()))
    assert r.status_code == 201, r.text
    assert r.json()["interviewer"] == x
    [entry] = (await ats.client.get("/v1/audit-events", params={"target_type": "scorecard", "target_id": r.json()["id"]})).json()["data"]
    assert entry["actor"] == "admin" and entry["on_behalf_of"].lower() == x


async def test_only_the_scorecards_own_interviewer_revises_it(ats):
    x, y = user("x"), user("y")
    _, iv = await interview(ats, [x, y])
    card = (await ats.client.post("/v1/scorecards", json=feedback(iv), headers=as_(x))).json()
    url = f"/v1/scorecards/{card['id']}"
    for headers in ({"If-Match": '"1"'}, {"If-Match": '"1"', **as_(y)}):
        assert is_problem(await ats.client.patch(url, json={"notes": "Changed."}, headers=headers), 403)["reason"] == "not_your_scorecard"
    r = await ats.client.patch(url, json={"notes": "Changed."}, headers={"If-Match": '"1"', **as_(x)})
    assert r.status_code == 200 and r.json()["notes"] == "Changed."


async def test_interviewers_read_other_scorecards_of_an_application_only_after_submitting_their_own(ats):
    x, y, manager = user("x"), user("y"), user("manager")
    app, iv = await interview(ats, [x, y])
    x_card = (await ats.client.post("/v1/scorecards", json=feedback(iv, notes="x thinks: strong"), headers=as_(x))).json()

    async def listed(headers: dict | None) -> set[str]:
        r = await ats.client.get("/v1/scorecards", params={"application_id": app["id"]}, headers=headers)
        assert r.status_code == 200, r.text
        return {c["interviewer"] for c in r.json()["data"]}

    # y still owes feedback: x's scorecard is out of the list, 403 by id, and without its content in the feed
    assert await listed(as_(y)) == set()
    assert is_problem(await ats.client.get(f"/v1/scorecards/{x_card['id']}", headers=as_(y)), 403)["reason"] == "feedback_owed"
    feed = (await ats.client.get(f"/v1/candidates/{app['candidate_id']}/activity", headers=as_(y))).json()["data"]
    [submitted] = [i for i in feed if i["action"] == "scorecard.submitted"]
    assert submitted["summary"] is None
    # recruiters (no On-Behalf-Of), people who do not interview, and x (who gave feedback) read everything
    assert await listed(None) == await listed(as_(manager)) == await listed(as_(x)) == {x}
    feed = (await ats.client.get(f"/v1/candidates/{app['candidate_id']}/activity")).json()["data"]
    assert "x thinks: strong" in next(i for i in feed if i["action"] == "scorecard.submitted")["summary"]
    # once y has submitted, y reads both
    assert (await ats.client.post("/v1/scorecards", json=feedback(iv), headers=as_(y))).status_code == 201
    assert await listed(as_(y)) == {x, y}
    assert (await ats.client.get(f"/v1/scorecards/{x_card['id']}", headers=as_(y))).status_code == 200


async def test_an_interviewer_on_a_later_round_reads_earlier_feedback_only_after_their_own_round(ats):
    x, y = user("x"), user("y")
    app, first_round = await interview(ats, [x])
    stage = first_round["stage_id"]
    later = (await ats.client.post("/v1/interviews", json={
        "application_id": app["id"], "stage_id": stage, "starts_at": (BASE + timedelta(days=2)).isoformat(),
        "ends_at": (BASE + timedelta(days=2, hours=1)).isoformat(), "timezone": "UTC", "interviewers": [y, x]})).json()
    assert (await ats.client.post("/v1/scorecards", json=feedback(first_round), headers=as_(x))).status_code == 201
    seen = lambda r: {c["interviewer"] for c in r.json()["data"]}
    # x still owes the later round: y's feedback (none yet) and nothing else of others; y sees nothing of x's
    assert seen(await ats.client.get("/v1/scorecards", params={"application_id": app["id"]}, headers=as_(y))) == set()
    assert (await ats.client.post("/v1/scorecards", json=feedback(later), headers=as_(y))).status_code == 201
    assert seen(await ats.client.get("/v1/scorecards", params={"application_id": app["id"]}, headers=as_(x))) == {x}
    assert seen(await ats.client.get("/v1/scorecards", params={"application_id": app["id"]}, headers=as_(y))) == {x, y}


# ------------------------------------------------------------------------------------------------------- notes
async def test_a_private_note_written_for_a_user_is_private_to_that_user_not_to_the_shared_key(ats):
    _, app = await application(ats)
    url = f"/v1/candidates/{app['candidate_id']}/notes"
    rita, bob = user("rita"), user("bob")
    r = await ats.client.post(url, json={"body": "rita's private thought", "visibility": "private"}, headers=as_(rita))
    assert r.status_code == 201 and r.json()["author"] == rita
    bodies = lambda r: [n["body"] for n in r.json()["data"]]
    assert bodies(await ats.client.get(url, headers=as_(rita))) == ["rita's private thought"]
    assert bodies(await ats.client.get(url, headers=as_(bob))) == []
    assert bodies(await ats.client.get(url)) == []  # the key itself is not rita
