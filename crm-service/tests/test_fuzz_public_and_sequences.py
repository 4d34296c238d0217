"""A property-based fuzz (issue #8, finding 4) of the CRM's public routes and its sequence endpoints against a real
CRM process: odd unicode, lone surrogates, huge numbers, NUL. Whatever arrives, the answer is never a 5xx."""
from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# CRM_FUZZ_EXAMPLES=2000 for a deeper hunt; the default keeps the suite quick.
FUZZ = settings(max_examples=int(os.environ.get("CRM_FUZZ_EXAMPLES", "120")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Raw path bytes (percent-encoded, so lone surrogates, invalid UTF-8 and NUL reach the server as they would on
# the wire) and text that looks like a token.
raw_segment = st.one_of(
    st.binary(min_size=1, max_size=80).map(lambda b: quote(b, safe="")),
    st.text(min_size=1, max_size=80).map(lambda t: quote(t.encode("utf-8", "surrogatepass"), safe="")),
    st.tuples(st.text(max_size=40), st.text(max_size=40)).map(
        lambda p: quote(p[0].encode("utf-8", "surrogatepass"), safe="") + "." + quote(p[1].encode("utf-8", "surrogatepass"), safe="")),
)
odd_text = st.one_of(st.text(max_size=60), st.sampled_from(["\x00", "\ud800", "10:00:00Z", "25:00", "09:00+05:00",
                                                            "Mars/Olympus", "../../etc/passwd", "", " ", "é" * 300]))
huge = st.one_of(st.integers(), st.integers(min_value=2**31 - 3, max_value=2**31 + 3), st.integers(min_value=2**62),
                 st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none())
anything = st.one_of(odd_text, huge, st.lists(odd_text, max_size=3), st.dictionaries(odd_text, odd_text, max_size=3))


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, anything)


steps = st.lists(st.fixed_dictionaries(
    {"kind": maybe(st.sampled_from(["email", "sms", "task"])), "body": maybe(st.text(min_size=1, max_size=200))},
    optional={"subject": maybe(st.text(min_size=1, max_size=80)), "body_html": maybe(st.text(max_size=200)),
              "delay": huge, "delay_unit": maybe(st.sampled_from(["days", "business_days"])),
              "variants": st.lists(st.fixed_dictionaries({"name": odd_text, "body": odd_text},
                                                         optional={"weight": huge, "subject": odd_text}), max_size=2)}),
    max_size=3)
sequence_body = st.fixed_dictionaries(
    {"name": maybe(st.text(min_size=1, max_size=50)), "steps": maybe(steps)},
    optional={"send_window": maybe(st.fixed_dictionaries({}, optional={"start": odd_text, "end": odd_text,
                                                                       "days": st.lists(odd_text, max_size=8)})),
              "holidays": maybe(st.lists(odd_text, max_size=3)), "sender_mailbox": odd_text,
              "daily_cap": huge, "min_gap_seconds": huge})


@pytest.fixture(scope="module")
def http(crm_process):
    with httpx.Client(base_url=crm_process.url, headers=crm_process.admin, timeout=30) as client:
        yield client


def send_json(http: httpx.Client, method: str, path: str, body: Any, **kw: Any) -> httpx.Response:
    """JSON as a client may send it: `\\ud800` escapes (lone surrogates) included."""
    return http.request(method, path, content=json.dumps(body), headers={"Content-Type": "application/json", **kw})


def no_server_error(r: httpx.Response) -> None:
    assert r.status_code < 500, (r.request.method, str(r.request.url)[:300], r.status_code, r.text[:500])


@FUZZ
@given(token=raw_segment)
def test_public_token_routes_never_answer_a_server_error(http, token):
    pixel = http.get(f"/t/o/{token}.gif")
    assert pixel.status_code == 200 and pixel.content.startswith(b"GIF89a")
    for method, path in (("GET", f"/t/c/{token}"), ("GET", f"/t/u/{token}"), ("POST", f"/t/u/{token}"),
                         ("GET", f"/public/consent/{token}"), ("GET", f"/public/unsubscribe/{token}"),
                         ("GET", f"/public/confirm/{token}"), ("POST", f"/public/confirm/{token}")):
        no_server_error(http.request(method, path, headers={"Authorization": ""}))


@FUZZ
@given(form=st.dictionaries(st.sampled_from(["first_name", "last_name", "email", "interests", "skills", "consent",
                                              "consent_version", "csrf_token", "channel", "action"]),
                            st.text(max_size=120), max_size=10))
def test_public_forms_never_answer_a_server_error(http, form):
    body = "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in form.items())
    for path in ("/public/talent-community", "/public/unsubscribe/x.y", "/public/consent/x.y", "/public/confirm/x.y"):
        no_server_error(http.post(path, content=body, headers={  # a 429 of the rate limit is fine too
            "Authorization": "", "Content-Type": "application/x-www-form-urlencoded"}))


@FUZZ
@given(body=sequence_body)
def test_creating_a_sequence_never_answers_a_server_error(http, body):
    no_server_error(send_json(http, "POST", "/v1/sequences", body))


@pytest.fixture(scope="module")
def a_sequence(http):
    r = http.post("/v1/sequences", json={"name": "fuzzed", "steps": [{"kind": "task", "body": "Call"}]})
    assert r.status_code == 201, r.text
    return r.json()


@FUZZ
@given(patch=st.dictionaries(st.sampled_from(["name", "steps", "send_window", "holidays", "sender_mailbox", "daily_cap",
                                               "min_gap_seconds"]), anything, max_size=4),
       enrollment=st.fixed_dictionaries({"prospect_id": maybe(st.uuids().map(str))},
                                        optional={"timezone": odd_text, "variables": maybe(st.dictionaries(odd_text, huge))}))
def test_editing_and_enrolling_never_answer_a_server_error(http, a_sequence, patch, enrollment):
    current = http.get(f"/v1/sequences/{a_sequence['id']}")
    no_server_error(send_json(http, "PATCH", f"/v1/sequences/{a_sequence['id']}", patch, **{"If-Match": current.headers["etag"]}))
    no_server_error(send_json(http, "POST", f"/v1/sequences/{a_sequence['id']}/enrollments", enrollment))
