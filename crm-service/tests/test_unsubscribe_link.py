"""The unsubscribe link of a sequence email (issue #8, finding 7): following it (as mail scanners do) only shows a
confirmation page; the RFC 8058 one-click POST and the page's form unsubscribe."""
from __future__ import annotations

import html
import re

import httpx

FORM = re.compile(r'<form method="post" action="([^"]+)"')


async def sent_unsubscribe_path(mail) -> tuple[str, str, str]:
    pid, addr = await mail.prospect()
    eid = await mail.enroll(pid, [{"kind": "email", "subject": "Hi", "body": "Hello"},
                                  {"kind": "email", "delay": 3, "subject": "Again", "body": "Ping"}])
    await mail.run()
    [sent] = mail.inbox.to(addr)
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return pid, eid, httpx.URL(sent["List-Unsubscribe"].strip("<>")).path


async def state(mail, pid: str, eid: str) -> tuple[str, list[str]]:
    e = (await mail.crm.client.get(f"/v1/enrollments/{eid}")).json()
    channels = (await mail.crm.client.get(f"/v1/prospects/{pid}/consent")).json()["channels"]
    return e["status"], next(c for c in channels if c["channel"] == "email")["suppressions"]


async def test_following_the_unsubscribe_link_only_asks_and_changes_nothing(mail):
    pid, eid, path = await sent_unsubscribe_path(mail)
    for _ in range(3):
        page = await mail.public.get(path, headers={"User-Agent": "SafeLinks scanner"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert html.unescape(FORM.search(page.text).group(1)) == path and 'name="List-Unsubscribe" value="One-Click"' in page.text
        assert page.headers["cache-control"].startswith("no-store")
    assert await state(mail, pid, eid) == ("active", [])
    first = await mail.public.post(path, data={"List-Unsubscribe": "One-Click"})  # RFC 8058, from the mail provider
    assert first.status_code == 200 and first.json()["enrollments_exited"] == 1
    second = await mail.public.post(path, data={"List-Unsubscribe": "One-Click"})
    assert second.status_code == 200 and second.json()["enrollments_exited"] == 0  # harmless to repeat
    assert await state(mail, pid, eid) == ("exited", ["unsubscribed"])


async def test_the_page_form_unsubscribes_and_says_so(mail):
    pid, eid, path = await sent_unsubscribe_path(mail)
    r = await mail.public.post(path, data={"List-Unsubscribe": "One-Click"}, headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html") and "unsubscribed" in r.text.lower()
    assert await state(mail, pid, eid) == ("exited", ["unsubscribed"])
    again = await mail.public.get(path)
    assert again.status_code == 200 and "already unsubscribed" in again.text.lower()

