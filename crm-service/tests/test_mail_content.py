"""What goes out in a sequence email (issue #8, finding 2): personal data is escaped for the part it lands in, the
text and HTML parts are built deliberately, and click tracking wraps only the links the sequence author wrote —
driven over the real SMTP server (aiosmtpd) with a name typed into the public sign-up form by an attacker."""
from __future__ import annotations

import re
import uuid

ATTACK = '<a href="https://evil.example/p">Ann</a><img src=x onerror=alert(1)>'
TRACKED = re.compile(r"https://crm\.acme\.example(/t/c/[A-Za-z0-9_\-.]+)")


def parts(mail) -> tuple[str, str]:
    return mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()


async def redirects(rig, paths: set[str]) -> set[str]:
    """Where each tracked link sends the reader."""
    out = set()
    for path in paths:
        r = await rig.public.get(path)
        assert r.status_code == 302, (path, r.status_code, r.text)
        out.add(r.headers["location"])
    return out


async def test_a_hostile_name_from_the_signup_form_is_plain_text_in_the_mail_and_its_link_is_never_tracked(
        mail, visitor, signup):
    addr = f"attack-{uuid.uuid4().hex[:8]}@example.com"
    async with visitor() as v:
        r = await v.submit("/public/talent-community", signup(addr, first_name=ATTACK))
        assert r.status_code == 200, r.text
    [p] = (await mail.crm.client.get("/v1/prospects", params={"email": addr})).json()["data"]
    assert p["first_name"] == ATTACK
    assert (await mail.crm.client.put(f"/v1/prospects/{p['id']}/consent/email",
                                      json={"status": "granted", "lawful_basis": "consent"})).status_code == 200
    eid = await mail.enroll(p["id"], [{"kind": "email", "subject": "Hello {{first_name}}",
                                       "body": "Hi {{first_name}}, see https://jobs.example/1 today."}])
    await mail.run()
    [sent] = [m for m in mail.inbox.to(addr) if m["Subject"].startswith("Hello")]  # (besides the opt-in mail)
    text, html = parts(sent)

    assert f"Hi {ATTACK}, see " in text  # the text part keeps the name exactly as typed: text is never HTML
    assert "&lt;a href=&quot;https://evil.example/p&quot;&gt;Ann&lt;/a&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html and 'href="https://evil.example' not in html
    assert await redirects(mail, set(TRACKED.findall(html))) == {"https://jobs.example/1"}
    assert await redirects(mail, set(TRACKED.findall(text))) == {"https://jobs.example/1"}
    assert "https://jobs.example/1" not in text and 'href="https://jobs.example' not in html  # the author's link is tracked
    [msg] = await mail.messages(eid)
    assert msg["links"] == ["https://jobs.example/1"]  # recorded at send time: the only URLs a click may lead to


async def test_an_authored_html_body_is_the_html_part_with_escaped_tokens_and_tracked_links(mail):
    pid, addr = await mail.prospect(first_name="Ann <b>&")
    await mail.enroll(pid, [{
        "kind": "email", "subject": "Hi {{first_name}}",
        "body": "Hi {{first_name}}, apply at https://jobs.example/2",
        "body_html": '<p>Hi <b>{{first_name}}</b>, <a href="https://jobs.example/2?a=1&amp;b=2">apply</a>.</p>'}])
    await mail.run()
    [sent] = mail.inbox.to(addr)
    text, html = parts(sent)
    assert "<p>Hi <b>Ann &lt;b&gt;&amp;</b>, <a href=\"https://crm.acme.example/t/c/" in html
    assert "Hi Ann <b>&, apply at https://crm.acme.example/t/c/" in text
    assert await redirects(mail, set(TRACKED.findall(html))) == {"https://jobs.example/2?a=1&b=2"}
    assert await redirects(mail, set(TRACKED.findall(text))) == {"https://jobs.example/2"}
    assert sent["Subject"] == "Hi Ann <b>&"


async def test_a_click_token_names_a_recorded_link_and_nothing_else_is_ever_a_redirect(mail):
    pid, _ = await mail.prospect()
    eid = await mail.enroll(pid, [{"kind": "email", "subject": "Hi", "body": "One https://jobs.example/3 link"}])
    await mail.run()
    [msg] = await mail.messages(eid)
    from crm.signing import Purpose, Signer

    signer = Signer([mail.settings.tracking_secret.get_secret_value()])
    now = mail.clock.now()
    ok = signer.sign(Purpose.CLICK, {"m": msg["id"], "l": 0}, now=now)
    assert (await mail.public.get(f"/t/c/{ok}")).headers["location"] == "https://jobs.example/3"
    for data in ({"m": msg["id"], "l": 1}, {"m": msg["id"], "l": -1}, {"m": msg["id"], "l": "0"},
                 {"m": msg["id"], "u": "https://evil.example/"}, {"m": str(uuid.uuid4()), "l": 0}):
        r = await mail.public.get(f"/t/c/{signer.sign(Purpose.CLICK, data, now=now)}")
        assert r.status_code == 404 and "location" not in r.headers, data


async def test_the_openapi_document_says_how_a_step_body_is_written(crm):
    spec = (await crm.client.get("/openapi.json")).json()["components"]["schemas"]
    step = spec["StepIn"]["properties"]
    assert "plain text" in step["body"]["description"].lower()
    assert "html" in step["body_html"]["description"].lower() and "escaped" in step["body_html"]["description"].lower()
    assert "body_html" in spec["VariantIn"]["properties"]

