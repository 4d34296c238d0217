"""Public tokens on the wire (issue #8, findings 3 and 4): links expire with a friendly page, CSRF tokens expire,
secrets rotate with an overlap, a token of one purpose opens nothing else, and odd tokens never answer 500."""
from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from crm.sending.config import SendingSettings

PIXEL = re.compile(r'src="https://crm\.acme\.example(/t/o/[^"]+\.gif)"')
CLICK = re.compile(r'href="https://crm\.acme\.example(/t/c/[^"]+)"')


def path_of(url: str) -> str:
    return httpx.URL(url).path


async def links_of(rig, pid: str) -> dict[str, str]:
    r = await rig.crm.client.get(f"/v1/prospects/{pid}/public-links")
    assert r.status_code == 200, r.text
    return r.json()


async def test_public_links_expire_after_their_lifetime_with_a_friendly_page(mail, visitor):
    pid, _ = await mail.prospect()
    links = await links_of(mail, pid)
    start = mail.clock.now()
    try:
        async with visitor() as v:
            assert (await v.get(path_of(links["consent_url"]))).status_code == 200
            mail.clock.advance(days=91)
            for url in (links["consent_url"], links["unsubscribe_url"]):
                r = await v.get(path_of(url))
                assert r.status_code == 410 and r.headers["content-type"].startswith("text/html"), r.text
                assert "expired" in r.text.lower()
    finally:
        mail.clock.set(start)


async def test_a_form_left_open_for_hours_is_refused_as_expired(mail, visitor, signup):
    start = mail.clock.now()
    try:
        async with visitor() as v:
            csrf = await v.csrf("/public/talent-community")
            mail.clock.advance(hours=13)
            r = await v.post("/public/talent-community", data={"csrf_token": csrf, **signup("late@example.com")})
            assert r.status_code == 403 and "expired" in r.text.lower()
            fresh = await v.submit("/public/talent-community", signup(f"fresh-{start.timestamp():.0f}@example.com"))
            assert fresh.status_code == 200, fresh.text
    finally:
        mail.clock.set(start)


async def test_links_signed_with_the_previous_secret_keep_working_during_a_rotation(mail, visitor):
    pid, _ = await mail.prospect()
    old_links = await links_of(mail, pid)
    old = mail.settings
    try:
        mail.crm.app.state.sending_settings = SendingSettings(
            **{**old.model_dump(), "tracking_secret": "the-new-secret", "tracking_secrets_previous": old.tracking_secret})
        async with visitor() as v:
            assert (await v.get(path_of(old_links["consent_url"]))).status_code == 200
            new_links = await links_of(mail, pid)
            assert new_links["consent_url"] != old_links["consent_url"]
            mail.crm.app.state.sending_settings = SendingSettings(
                **{**old.model_dump(), "tracking_secret": "the-new-secret", "tracking_secrets_previous": None})
            assert (await v.get(path_of(old_links["consent_url"]))).status_code == 404  # the overlap is over
            assert (await v.get(path_of(new_links["consent_url"]))).status_code == 200
    finally:
        mail.crm.app.state.sending_settings = old


async def test_a_token_made_for_one_purpose_opens_nothing_else(mail, visitor):
    pid, addr = await mail.prospect()
    await mail.enroll(pid, [{"kind": "email", "subject": "Hi", "body": "Look https://jobs.example/9"}])
    await mail.run()
    [sent] = mail.inbox.to(addr)
    html = sent.get_body(("html",)).get_content()
    pixel = PIXEL.search(html).group(1).removeprefix("/t/o/").removesuffix(".gif")
    click = CLICK.search(html).group(1).removeprefix("/t/c/")
    unsub = path_of(sent["List-Unsubscribe"].strip("<>")).removeprefix("/t/u/")
    consent = path_of((await links_of(mail, pid))["consent_url"]).removeprefix("/public/consent/")
    async with visitor() as v:
        for path in (f"/t/c/{pixel}", f"/t/c/{unsub}", f"/t/u/{click}", f"/t/u/{consent}", f"/public/consent/{unsub}",
                     f"/public/unsubscribe/{unsub}", f"/public/unsubscribe/{consent}", f"/public/confirm/{consent}"):
            r = await v.get(path)
            assert r.status_code == 404, (path, r.status_code)
    assert (await mail.crm.client.get(f"/v1/prospects/{pid}/activities", params={"kind": "message_clicked"})).json()["data"] == []


ODD = ["eyJ.é", "abc.\u00ff\u00fe", "x.\u2603", "\u00e9\u00e9.\u00e9", "a" * 5000, "..", ".", "%00", "%ED%A0%80.x",
       "eyJwIjoxfQ.%F0%9F%92%A9"]


@pytest.mark.parametrize("token", ODD)
async def test_odd_tokens_on_public_routes_never_answer_a_server_error(mail, visitor, token):
    async with visitor() as v:
        pixel = await v.get(f"/t/o/{token}.gif")
        assert pixel.status_code == 200 and pixel.content.startswith(b"GIF89a")  # the pixel always answers its GIF
        for method, path in (("GET", f"/t/c/{token}"), ("GET", f"/t/u/{token}"), ("POST", f"/t/u/{token}"),
                             ("GET", f"/public/consent/{token}"), ("GET", f"/public/unsubscribe/{token}"),
                             ("GET", f"/public/confirm/{token}")):
            r = await v.request(method, path)
            assert r.status_code in (400, 404, 410), (method, path, r.status_code, r.text[:200])


async def test_expired_mail_links_answer_a_page_and_the_pixel_still_answers_its_gif(mail):
    pid, addr = await mail.prospect()
    await mail.enroll(pid, [{"kind": "email", "subject": "Hi", "body": "Look https://jobs.example/10"}])
    await mail.run()
    [sent] = mail.inbox.to(addr)
    html = sent.get_body(("html",)).get_content()
    start = mail.clock.now()
    try:
        mail.clock.set(start + timedelta(days=400))
        assert (await mail.public.get(PIXEL.search(html).group(1))).content.startswith(b"GIF89a")
        for path in (CLICK.search(html).group(1), path_of(sent["List-Unsubscribe"].strip("<>"))):
            r = await mail.public.get(path)
            assert r.status_code == 410 and "expired" in r.text.lower(), (path, r.status_code)
    finally:
        mail.clock.set(start)
    assert (await mail.crm.client.get(f"/v1/prospects/{pid}/activities", params={"kind": "message_opened"})).json()["data"] == []
