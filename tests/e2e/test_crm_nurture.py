"""The CRM end to end, through the running service: a prospect is enrolled, the scheduler sends the step over
real SMTP, the person opens and clicks through the tracked links and replies; the enrollment exits with reason
`reply` and the engagement score rises."""
import re
import uuid

import httpx


async def test_enroll_send_open_click_reply(e2e, http, api, email, midday_zone):
    crm = e2e.crm_url
    addr = email("nurture")
    prospect = await api.create("crm", first_name="Katherine", last_name="Johnson", emails=[addr], source="event")
    pid = prospect["id"]
    consent = await http.put(f"{crm}/v1/prospects/{pid}/consent/email",
                             json={"status": "granted", "lawful_basis": "consent", "source": "event", "text_version": "v1"})
    assert consent.status_code == 200, consent.text
    always = {"start": "00:00", "end": "23:59", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
    seq = await http.post(f"{crm}/v1/sequences", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
        "name": f"Nurture {uuid.uuid4().hex[:6]}", "send_window": always,
        "steps": [{"kind": "email", "subject": "Hello {{first_name}}", "body": "Hi {{first_name}}, have a look at https://careers.acme.example/jobs/42"},
                  {"kind": "email", "delay": 3, "subject": "Still there?", "body": "Just checking in, {{first_name}}."}]})
    assert seq.status_code == 201, seq.text
    enrollment = await http.post(f"{crm}/v1/sequences/{seq.json()['id']}/enrollments", json={"prospect_id": pid, "timezone": midday_zone})
    assert enrollment.status_code == 201, enrollment.text

    def delivered():
        return [m for m in e2e.mailbox if m["To"] == addr] or None
    (mail,) = await e2e.wait_until(delivered, 20, interval=0.2, message="the first step delivered over SMTP")
    assert mail["Subject"] == "Hello Katherine" and "{{" not in mail.get_body(("plain",)).get_content()
    assert mail["List-Unsubscribe"].startswith(f"<{crm}/t/u/")
    html = mail.get_body(("html",)).get_content()
    pixel = re.search(rf'{re.escape(crm)}/t/o/[^"]+\.gif', html).group(0)
    click = re.search(rf'{re.escape(crm)}/t/c/[^"]+', html).group(0)

    async def score() -> float:
        return (await http.get(f"{crm}/v1/prospects/{pid}/engagement")).json()["score"]

    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:  # no API key: public links
        opened = await browser.get(pixel)
        assert opened.status_code == 200 and opened.headers["content-type"] == "image/gif"
        after_open = await score()
        clicked = await browser.get(click)
        assert clicked.status_code == 302 and clicked.headers["location"] == "https://careers.acme.example/jobs/42"
        tampered = await browser.get(click[:-3] + ("AAA" if not click.endswith("AAA") else "BBB"))
        assert tampered.status_code == 404 and "location" not in tampered.headers
    after_click = await score()
    assert 0 < after_open < after_click

    reply = await http.post(f"{crm}/v1/inbound/email", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
        "in_reply_to": mail["Message-ID"], "from": addr, "subject": "Re: Hello Katherine", "text": "Sounds great!"})
    assert reply.status_code in (200, 201), reply.text
    state = (await http.get(f"{crm}/v1/enrollments/{enrollment.json()['id']}")).json()
    assert (state["status"], state["exit_reason"]) == ("exited", "reply")
    assert await score() > after_click
    kinds = [a["kind"] for a in (await http.get(f"{crm}/v1/prospects/{pid}/activities", params={"limit": 200})).json()["data"]]
    assert {"message_sent", "message_opened", "message_clicked", "message_replied"} <= set(kinds)
