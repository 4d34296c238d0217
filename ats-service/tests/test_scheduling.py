"""Interview scheduling end to end: availability and slot proposals, candidate self-scheduling through the signed
link (two candidates racing for one slot: exactly one wins), and the RFC 5545 invitations that arrive over SMTP
(a real aiosmtpd server) for every schedule, reschedule and cancel."""
from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
from ats.interviews import repository as interview_slots
from icalendar import Calendar
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import async_sessionmaker
from talentkit.errors import Conflict

MONDAY = datetime(2031, 3, 3, tzinfo=UTC)  # a Monday, in winter time on both sides of the Atlantic
LINK = re.compile(r"https://jobs\.acme\.example(/public/interviews/\S+)")


def person(tag: str = "iv") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


async def available(ats, who: str, zone: str, start: str = "09:00", end: str = "17:00") -> dict:
    r = await ats.client.put(f"/v1/interviewers/{who}", json={
        "timezone": zone, "working_hours": [{"weekday": d, "start": start, "end": end} for d in range(5)]})
    assert r.status_code == 201, r.text
    return r.json()


def stage(job: dict, kind: str = "interview") -> str:
    return next(s["id"] for s in job["stages"] if s["kind"] == kind)


def invitations(mails) -> list[Calendar]:
    """The iCalendar objects of these mails (the text/calendar part)."""
    out = []
    for mail in mails:
        [part] = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
        out.append(Calendar.from_ical(part.get_content()))
    return out


def vevent(cal: Calendar):
    [event] = cal.walk("VEVENT")
    return event


async def slots(ats, panel: list[str], start: datetime, end: datetime, **params) -> list[dict]:
    r = await ats.client.get("/v1/interviews/slots", params={"interviewers": panel, "from": start.isoformat(),
                                                             "to": end.isoformat(), **params})
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def test_slots_lie_inside_every_panelists_working_hours_in_their_own_zone_and_skip_busy_time(ats) -> None:
    berlin, new_york = person("ber"), person("nyc")
    await available(ats, berlin, "Europe/Berlin")  # 08:00-16:00 UTC in March before DST
    await available(ats, new_york, "America/New_York")  # 14:00-22:00 UTC
    found = await slots(ats, [berlin, new_york], MONDAY, MONDAY + timedelta(days=1), duration_minutes=60)
    assert [s["starts_at"][11:16] for s in found] == ["14:00", "14:30", "15:00"]  # only the overlap, 14-16 UTC

    busy = await ats.client.post(f"/v1/interviewers/{berlin}/busy-blocks", json={
        "starts_at": (MONDAY + timedelta(hours=14)).isoformat(), "ends_at": (MONDAY + timedelta(hours=15)).isoformat(),
        "reason": "team meeting"})
    assert busy.status_code == 201, busy.text
    assert [s["starts_at"][11:16] for s in await slots(ats, [berlin, new_york], MONDAY, MONDAY + timedelta(days=1))] == ["15:00"]

    job = await ats.open_job()
    app = await ats.apply(job)
    booked = await ats.client.post("/v1/interviews", json={
        "application_id": app["id"], "stage_id": stage(job), "starts_at": (MONDAY + timedelta(hours=15)).isoformat(),
        "ends_at": (MONDAY + timedelta(hours=16)).isoformat(), "timezone": "UTC", "interviewers": [new_york]})
    assert booked.status_code == 201, booked.text
    assert await slots(ats, [berlin, new_york], MONDAY, MONDAY + timedelta(days=1)) == []  # the interview is busy time
    tuesday = await slots(ats, [berlin, new_york], MONDAY, MONDAY + timedelta(days=2))
    assert datetime.fromisoformat(tuesday[0]["starts_at"]) == MONDAY + timedelta(days=1, hours=14)
    weekend = await slots(ats, [berlin], MONDAY + timedelta(days=5), MONDAY + timedelta(days=7))
    assert weekend == []

    removed = await ats.client.delete(f"/v1/interviewers/{berlin}/busy-blocks/{busy.json()['id']}")
    assert removed.status_code == 200 and removed.json()["busy_blocks"] == []


async def test_slot_proposals_refuse_unknown_interviewers_and_bad_windows_by_field(ats) -> None:
    known = person()
    await available(ats, known, "UTC")
    r = await ats.client.get("/v1/interviews/slots", params={"interviewers": [known, "nobody@example.com"],
                                                             "from": MONDAY.isoformat(), "to": (MONDAY + timedelta(days=1)).isoformat()})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "interviewers"
    assert "nobody@example.com" in r.json()["errors"][0]["message"]
    r = await ats.client.get("/v1/interviews/slots", params={"interviewers": [known], "from": MONDAY.isoformat(),
                                                             "to": (MONDAY + timedelta(days=40)).isoformat()})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "to"
    r = await ats.client.get("/v1/interviews/slots", params={"interviewers": [known], "from": "2031-03-03T09:00:00",
                                                             "to": (MONDAY + timedelta(days=1)).isoformat()})
    assert r.status_code == 422 and any(e["field"] in ("from", "query.from") for e in r.json()["errors"])
    bad = await ats.client.put(f"/v1/interviewers/{person()}", json={
        "timezone": "Mars/Olympus", "working_hours": [{"weekday": 7, "start": "17:00", "end": "09:00"}]})
    assert bad.status_code == 422 and {e["field"].split(".")[0] for e in bad.json()["errors"]} >= {"timezone", "working_hours"}
    again = await ats.client.put(f"/v1/interviewers/{known}", json={"timezone": "UTC", "working_hours": []})
    assert again.status_code == 428  # replacing needs If-Match
    again = await ats.client.put(f"/v1/interviewers/{known}", headers={"If-Match": '"1"'},
                                 json={"timezone": "UTC", "working_hours": []})
    assert again.status_code == 200 and again.json()["version"] == 2


async def invite(ats, job: dict, app: dict, panel: list[str], **over) -> dict:
    r = await ats.client.post("/v1/scheduling-invites", json={
        "application_id": app["id"], "stage_id": stage(job), "interviewers": panel, "duration_minutes": 60,
        "window_start": (MONDAY + timedelta(hours=9)).isoformat(), "window_end": (MONDAY + timedelta(hours=12)).isoformat(),
        "timezone": "Europe/London", "location": "Room 4", "expires_at": (MONDAY + timedelta(hours=8)).isoformat(), **over})
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_candidate_books_a_slot_from_the_emailed_link_and_everyone_gets_an_invitation(ats) -> None:
    interviewer = person("panel")
    await available(ats, interviewer, "Europe/London")
    job = await ats.open_job(title="Platform engineer")
    candidate_email = person("cand")
    app = await ats.apply(job, candidate_email, first_name="Grace")
    created = await invite(ats, job, app, [interviewer])
    assert created["status"] == "open" and created["url"].startswith("https://jobs.acme.example/public/interviews/")
    assert ats.inbox.to(candidate_email) == []  # nothing leaves before the worker runs, after the commit
    await ats.run_tasks()
    [mail] = ats.inbox.to(candidate_email)
    assert mail["Subject"] == "Choose a time for your interview" and "Hello Grace" in mail.get_content()
    path = LINK.search(mail.get_content()).group(1)
    assert created["url"].endswith(path)

    async with ats.browser() as browser:
        page = await browser.get(path)
        assert page.status_code == 200 and "Choose a time for your interview" in page.text
        assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"].startswith("no-store")
        assert '<label for="slot-0">09:00 – 10:00</label>' in page.text and "10:00 – 11:00" in page.text
        booked = await browser.post(path, data={"csrf_token": ats.csrf_in(page.text),
                                                "slot": (MONDAY + timedelta(hours=10)).isoformat()})
        assert booked.status_code == 200, booked.text
        assert "Your interview is booked" in booked.text and "Monday 03 March 2031, 10:00" in booked.text
        assert "Your interview is booked" in (await browser.get(path)).text  # the link now shows the booking

    state = (await ats.client.get(f"/v1/scheduling-invites/{created['id']}")).json()
    assert state["status"] == "booked" and state["interview_id"]
    interview = (await ats.client.get(f"/v1/interviews/{state['interview_id']}")).json()
    assert (interview["interviewers"], interview["created_by"]) == ([interviewer], "candidate-self-scheduling")

    await ats.run_tasks()
    [to_candidate] = invitations(ats.inbox.to(candidate_email)[1:])
    [to_panel] = invitations(ats.inbox.to(interviewer))
    for cal in (to_candidate, to_panel):
        event = vevent(cal)
        assert str(cal["method"]) == "REQUEST" and int(event["sequence"]) == 0
        assert str(event["uid"]) == f"interview-{interview['id']}@acme.example"
        assert event.decoded("dtstart") == MONDAY + timedelta(hours=10)
        assert event.decoded("dtend") == MONDAY + timedelta(hours=11)
        assert str(event["location"]) == "Room 4" and str(event["organizer"]) == "mailto:talent@acme.example"
        assert {str(a) for a in event["attendee"]} == {f"mailto:{candidate_email}", f"mailto:{interviewer}"}
    await ats.run_tasks()  # sent once: another pass sends nothing again
    assert len(ats.inbox.to(candidate_email)) == 2


async def test_two_candidates_racing_for_one_slot_exactly_one_books_it(ats) -> None:
    interviewer = person("race")
    await available(ats, interviewer, "UTC")
    job = await ats.open_job()
    paths = []
    for _ in range(2):
        app = await ats.apply(job)
        paths.append(httpx.URL((await invite(ats, job, app, [interviewer]))["url"]).path)
    browsers = [ats.browser(), ats.browser()]
    try:
        forms = [await b.get(p) for b, p in zip(browsers, paths, strict=True)]
        slot = (MONDAY + timedelta(hours=9)).isoformat()
        answers = await asyncio.gather(*(b.post(p, data={"csrf_token": ats.csrf_in(f.text), "slot": slot})
                                         for b, p, f in zip(browsers, paths, forms, strict=True)))
    finally:
        for b in browsers:
            await b.aclose()
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    assert "that time was just taken. Please choose another." in loser.text
    assert "09:00 – 10:00" not in loser.text and "10:00 – 11:00" in loser.text  # the lost time is no longer offered
    async with ats.engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM interviewer_slots WHERE interviewer = :who"),
                                    {"who": interviewer})).scalar()
    assert count == 1


async def test_bookings_of_one_slot_at_the_same_instant_end_in_one_winner_and_clean_conflicts_never_a_deadlock(ats) -> None:
    # PostgreSQL's exclusion check can find two simultaneous inserts waiting on each other and abort one as a
    # deadlock; the booking must answer that loser like any other (409 naming the clash), never a 500.
    job = await ats.open_job()
    ids = []
    for n in range(4):
        r = await ats.client.post("/v1/interviews", json={
            "application_id": (await ats.apply(job))["id"], "stage_id": stage(job), "timezone": "UTC",
            "starts_at": (MONDAY + timedelta(days=7, hours=n)).isoformat(),
            "ends_at": (MONDAY + timedelta(days=7, hours=n + 1)).isoformat(), "interviewers": [person("own")]})
        assert r.status_code == 201, r.text
        ids.append(uuid.UUID(r.json()["id"]))
    sessions = async_sessionmaker(ats.engine)
    during = Range(MONDAY + timedelta(days=8), MONDAY + timedelta(days=8, hours=1), bounds="[)")

    async def book(interview_id: uuid.UUID, who: str) -> str:
        async with sessions() as session, session.begin():
            try:
                await interview_slots.book(session, SimpleNamespace(id=interview_id, interviewers=[who],
                                                                    during=lambda: during))
            except Conflict as exc:
                await session.rollback()
                assert exc.extra["clashing_interview_id"] in {str(i) for i in ids}, exc.extra
                return "conflict"
            return "booked"
    for _ in range(60):
        who = person("same-instant")
        outcomes = await asyncio.gather(*(book(i, who) for i in ids))
        assert sorted(outcomes) == ["booked", "conflict", "conflict", "conflict"], outcomes


async def test_forged_expired_and_cross_site_posts_are_refused(ats) -> None:
    interviewer = person("sec")
    await available(ats, interviewer, "UTC")
    job = await ats.open_job()
    app = await ats.apply(job)
    path = httpx.URL((await invite(ats, job, app, [interviewer]))["url"]).path
    async with ats.browser() as browser:
        assert (await browser.get(path[:-3] + "abc")).status_code == 404
        assert (await browser.get("/public/interviews/garbage")).status_code == 404
        page = await browser.get(path)
        no_csrf = await browser.post(path, data={"slot": (MONDAY + timedelta(hours=9)).isoformat()})
        assert no_csrf.status_code == 403 and "Form expired" in no_csrf.text
        nonsense = await browser.post(path, data={"csrf_token": ats.csrf_in(page.text), "slot": "tomorrow"})
        assert nonsense.status_code == 422 and "Please choose one of the times" in nonsense.text
    async with ats.browser() as other:  # the token without its cookie: a forged cross-site post
        assert (await other.post(path, data={"csrf_token": ats.csrf_in(page.text), "slot": "x"})).status_code == 403
    expired = await invite(ats, job, await ats.apply(job), [interviewer],
                           expires_at=(datetime.now(UTC) + timedelta(seconds=1)).isoformat())
    await asyncio.sleep(1.5)
    async with ats.browser() as browser:
        r = await browser.get(httpx.URL(expired["url"]).path)
        assert r.status_code == 410 and "expired" in r.text


async def test_reschedule_keeps_the_uid_with_a_higher_sequence_and_cancel_sends_cancel(ats) -> None:
    interviewer = person("cal")
    job = await ats.open_job()
    candidate_email = person("cand")
    app = await ats.apply(job, candidate_email)
    r = await ats.client.post("/v1/interviews", json={
        "application_id": app["id"], "stage_id": stage(job), "starts_at": (MONDAY + timedelta(hours=9)).isoformat(),
        "ends_at": (MONDAY + timedelta(hours=10)).isoformat(), "timezone": "UTC", "interviewers": [interviewer],
        "video_link": "https://meet.example/abc"})
    assert r.status_code == 201, r.text
    iid = r.json()["id"]
    moved = await ats.client.post(f"/v1/interviews/{iid}/reschedule", json={
        "starts_at": (MONDAY + timedelta(hours=13)).isoformat(), "ends_at": (MONDAY + timedelta(hours=14)).isoformat()})
    assert moved.status_code == 200, moved.text
    ats.inbox.down = True  # the mail server is down for a pass: nothing is lost, the tasks wait
    try:
        await ats.run_tasks()
    finally:
        ats.inbox.down = False
    assert ats.inbox.to(candidate_email) == []
    async with ats.engine.connect() as conn:
        waiting = (await conn.execute(text("SELECT attempts, status, last_error FROM tasks WHERE dedupe_key LIKE :k"),
                                      {"k": f"mail:interview:{iid}:%"})).all()
    assert len(waiting) == 4 and all(w.attempts >= 1 and w.status == "pending" and "451" in w.last_error for w in waiting)
    async with ats.engine.begin() as conn:  # the backoff has passed
        await conn.execute(text("UPDATE tasks SET next_attempt_at = now() WHERE dedupe_key LIKE :k"), {"k": f"mail:interview:{iid}:%"})
    await ats.run_tasks()
    assert (await ats.client.post(f"/v1/interviews/{iid}/cancel", json={"reason": "candidate withdrew"})).status_code == 200
    await ats.run_tasks()
    for who in (candidate_email, interviewer):  # in sequence order: retries may deliver them in any order
        cals = sorted(invitations(ats.inbox.to(who)), key=lambda c: int(vevent(c)["sequence"]))
        assert [(str(c["method"]), int(vevent(c)["sequence"])) for c in cals] == [("REQUEST", 0), ("REQUEST", 1), ("CANCEL", 2)]
        assert len({str(vevent(c)["uid"]) for c in cals}) == 1
        assert vevent(cals[1]).decoded("dtstart") == MONDAY + timedelta(hours=13)
        assert str(vevent(cals[2])["status"]) == "CANCELLED" and str(vevent(cals[0])["url"]) == "https://meet.example/abc"
    subjects = sorted(m["Subject"].split(":")[0] for m in ats.inbox.to(candidate_email))
    assert subjects == ["Cancelled", "Interview", "Updated"]
