"""Beyond the documents: what an attacker sends to every operation of the three services. Lone surrogates and
NUL in keys, values, paths and queries; huge and negative numbers; other scripts and bidi controls; path
traversal in path parameters; very long strings; junk in `Idempotency-Key`, `If-Match` and `On-Behalf-Of`.
Whatever arrives, the answer is never a 5xx and every 4xx is a problem+json document."""
from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from talent_dev.testing import ServiceProcess

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_HOSTILE_EXAMPLES", "5")), deadline=None, derandomize=True,
                database=None, suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
METHODS = ("get", "post", "put", "patch", "delete")

hostile_text = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=()), max_size=40),  # lone surrogates and NUL included
    st.sampled_from(["\ud800", "a\udfffb", "\ud800\x00", "\x00", "a\x00b", "../../etc/passwd", "..\\..\\win.ini", "%2e%2e%2f",
                     "é" * 3000, "x" * 70_000, "𝕏" * 300, "\u202eevil", "中文名字", "العربية", "Ελληνικά", "🙂🏳️‍🌈",
                     " ", "", "null", "-1", "1e999", "9" * 400, "2026-13-45T25:61:00Z", "10:00:00Z",
                     "<script>alert(1)</script>", "' OR 1=1 --", "{{7*7}}", "Robert'); DROP TABLE x;--"]))
in_url = hostile_text.map(lambda text: text[:2000])  # a URL stays under the clients' limit (64 KiB)
numbers = st.one_of(st.integers(min_value=2**63 - 2, max_value=2**64 + 2), st.integers(min_value=-2**64, max_value=-2**63 + 2),
                    st.just(10**400), st.floats(allow_nan=False, allow_infinity=False), st.just(1e308), st.just(-0.0),
                    st.integers(min_value=-3, max_value=3))
scalar = st.one_of(hostile_text, numbers, st.booleans(), st.none())
value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
                     max_leaves=6)
header_value = st.one_of(st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40),
                         st.sampled_from(["x" * 10_000, "\"*\"", "W/\"1\"", "\"99999999999999999999999\"", "\"-1\"",
                                          "a@b", "<a@b>", "`x`", "Ã©"]))


def wire(text: str) -> str:
    """Percent-encoded as the bytes a client may really send (lone surrogates as their raw, invalid UTF-8)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def body_keys(doc: dict[str, Any], op: dict[str, Any]) -> list[str]:
    """The top-level property names of the operation's JSON body, when the document names them."""
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return sorted(schema.get("properties", {})) or ["id"]


def requests_for(doc: dict[str, Any], path: str, method: str, op: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Requests for one operation: every path parameter, some query parameters, a body and headers, all hostile."""
    names = re.findall(r"{(\w+)}", path)
    query = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]
    has_body = "requestBody" in op
    return st.fixed_dictionaries({
        "path": st.tuples(*(st.one_of(in_url, st.uuids().map(str)) for _ in names)),
        "query": st.dictionaries(st.sampled_from(query) if query else in_url, in_url, max_size=3),
        "body": st.dictionaries(st.one_of(st.sampled_from(body_keys(doc, op)), hostile_text), value, max_size=6)
        if has_body else st.none(),
        "headers": st.dictionaries(st.sampled_from(["Idempotency-Key", "If-Match", "On-Behalf-Of"]), header_value,
                                   max_size=3)})


def probe(http: httpx.Client, doc: dict[str, Any], path: str, method: str) -> None:
    """Hostile requests to one operation; AssertionError (or the client's error) at the first bad answer."""
    @FUZZ
    @given(request=requests_for(doc, path, method, doc["paths"][path][method]))
    def one(request: dict[str, Any]) -> None:
        url = path
        for name, raw in zip(re.findall(r"{(\w+)}", path), request["path"], strict=True):
            url = url.replace(f"{{{name}}}", wire(raw))
        if request["query"]:
            url += "?" + "&".join(f"{wire(k)}={wire(v)}" for k, v in request["query"].items())
        headers = {k: v.strip(" \t").encode("latin-1") for k, v in request["headers"].items()}
        content = None
        if request["body"] is not None:
            content, headers["Content-Type"] = json.dumps(request["body"]).encode(), b"application/json"
        r = http.request(method.upper(), url, content=content, headers=headers)
        where = f"{method.upper()} {url[:300]} {(content or b'')[:300]!r} {request['headers']!r:.300}"
        assert r.status_code < 500, f"{where} -> {r.status_code} {r.text[:300]}"
        if r.status_code >= 400 and path != "/oauth/token":
            assert r.headers.get("content-type", "").startswith("application/problem+json"), \
                f"{where} -> {r.status_code} as {r.headers.get('content-type')}: {r.text[:300]}"
    one()


def attack(proc: ServiceProcess, admin: dict[str, str]) -> None:
    """Send hostile requests to every operation of the service; all findings reported at once."""
    doc = httpx.get(f"{proc.url}/openapi.json").json()
    findings: list[str] = []
    with httpx.Client(base_url=proc.url, headers=admin, timeout=30) as http:
        for path, ops in doc["paths"].items():
            for method in (m for m in METHODS if m in ops):
                try:
                    probe(http, doc, path, method)
                except Exception as exc:  # noqa: BLE001 - a dropped connection is a finding too
                    findings.append(f"{method.upper()} {path}: {exc}")
    assert not findings, f"{len(findings)} findings:\n\n" + "\n\n".join(findings)


def test_the_ats_answers_hostile_input_with_problem_documents_never_a_server_error(fuzz_stack: Any) -> None:
    attack(fuzz_stack.ats, fuzz_stack.admin)


def test_the_crm_answers_hostile_input_with_problem_documents_never_a_server_error(fuzz_stack: Any) -> None:
    attack(fuzz_stack.crm, fuzz_stack.admin)


def test_the_gateway_answers_hostile_input_with_problem_documents_never_a_server_error(fuzz_stack: Any) -> None:
    attack(fuzz_stack.gateway, fuzz_stack.admin)
