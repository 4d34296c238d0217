"""What a client sends may come back quoted in a problem (a field name in `errors`): a lone surrogate in a JSON
key (valid JSON, no valid UTF-8) must come back escaped, in a 422 naming it, never as a failure to render."""
from __future__ import annotations

import json

LONE = '"\\ud800"'  # the six characters of the JSON escape: the server decodes it to a lone surrogate


def names_the_key(problem: dict) -> bool:
    return any("\ud800" in e["field"] for e in problem.get("errors", []))


async def test_a_lone_surrogate_in_a_key_next_to_a_nul_is_a_422_naming_it(ats) -> None:
    body = '{"first_name": "Ada", "last_name": "L", "emails": [], "x": {' + LONE[:-1] + '\\u0000": 1}}'
    r = await ats.client.post("/v1/candidates", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
    assert names_the_key(json.loads(r.text)), r.text


async def test_a_lone_surrogate_in_an_unknown_key_is_a_422_naming_it_alone_and_in_a_batch_item(ats) -> None:
    single = '{"first_name": "Ada", "last_name": "L", "emails": [], ' + LONE + ': 1}'
    r = await ats.client.post("/v1/candidates", content=single, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
    batch = '{"items": [{"op": "create", "body": ' + single + '}]}'
    r = await ats.client.post("/v1/candidates/batch", content=batch, headers={"Content-Type": "application/json"})
    assert r.status_code in (200, 422), r.text
    answer = json.loads(r.text)
    problem = answer["results"][0]["problem"] if r.status_code == 200 else answer
    assert problem["status"] == 422, r.text
