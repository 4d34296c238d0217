"""Assertions on problem+json answers (RFC 9457), the one shape every error of every service takes."""
from __future__ import annotations

from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"


def is_problem(r: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """The body of a problem+json answer with this status (with `type`, `title` and the same `status`), naming
    `field` among its `errors` when given; AssertionError otherwise."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith(PROBLEM_JSON), r.headers.get("content-type")
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["title"] and body["type"], body
    if field is not None:
        assert field in problem_fields(body), body
    return body


def problem_fields(problem: dict[str, Any]) -> set[str]:
    """The fields a validation problem names in its `errors`."""
    return {e["field"] for e in problem.get("errors", [])}
