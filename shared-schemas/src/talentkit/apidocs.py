"""The error answers every operation can give, written into the OpenAPI document once for all three services:
every 4xx/5xx is an RFC 9457 problem document (`application/problem+json`), and the answers the platform itself
gives (no or a refused credential, a malformed or oversized body, an unknown id, an invalid header) are listed on
every operation they apply to, so a client generated from the document expects them."""
from __future__ import annotations

from typing import Any

from talentkit.errors import PROBLEM_JSON

# What a route's `responses=` takes (documented answers by status), and the body of an error answer in it.
Responses = dict[int | str, dict[str, Any]]
PROBLEM_ANSWER: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM = {
    "type": "object", "title": "Problem", "required": ["type", "title", "status"], "additionalProperties": True,
    "description": "An RFC 9457 problem document. Some problems carry more members (e.g. `clashing_interview_id`, "
                   "`required_scope`, `current_version`), named in the operation's description of that status.",
    "properties": {
        "type": {"type": "string", "description": "A stable identifier of the kind of problem, e.g. `/problems/conflict`."},
        "title": {"type": "string", "description": "A short summary of the kind of problem."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "What went wrong this time, for a human."},
        "instance": {"type": "string", "description": "The request path."},
        "errors": {"type": "array", "description": "Each field at fault (validation problems).", "items": {
            "type": "object", "required": ["field", "message"], "additionalProperties": True, "properties": {
                "field": {"type": "string", "description": "The field, dotted (`emails.0`), or a header or parameter name."},
                "location": {"type": "string", "description": "`body`, `query`, `path` or `header`."},
                "message": {"type": "string"}, "type": {"type": "string"}}}}}}
# RFC 6749 §5.2 fixes the shape of the token endpoint's errors: `{"error", "error_description"}` as application/json.
OAUTH_TOKEN_PATH = "/oauth/token"

UNAUTHORIZED = "No credential, or an unknown, revoked or expired one."
FORBIDDEN = "The credential lacks the scope this operation needs (`required_scope`), or may not send `On-Behalf-Of`."
NOT_FOUND = "Nothing with that id (or the path names nothing)."
MALFORMED = "The body is not valid JSON (or not the form the operation reads)."
BAD_CURSOR = "The `cursor` is not one this API issued (pass back the `next` of the previous page as it is)."
TOO_LARGE = "The body is larger than the service accepts (1 MB for JSON; uploads name their own limit)."
INVALID = "A field, parameter or header is invalid: `errors` names each one."


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Make every operation's error answers problem documents and list the platform's own error answers."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
    for path, ops in schema.get("paths", {}).items():
        for op in ops.values():
            if not isinstance(op, dict) or "responses" not in op or path == OAUTH_TOKEN_PATH:
                continue
            responses = op["responses"]
            if op.get("security"):
                responses.setdefault("401", {"description": UNAUTHORIZED})
                responses.setdefault("403", {"description": FORBIDDEN})
            if "{" in path:
                responses.setdefault("404", {"description": NOT_FOUND})
            if any(p.get("name") == "cursor" for p in op.get("parameters", [])):
                responses.setdefault("400", {"description": BAD_CURSOR})
            if "requestBody" in op:
                responses.setdefault("400", {"description": MALFORMED})
                responses.setdefault("413", {"description": TOO_LARGE})
            if op.get("parameters") or "requestBody" in op:
                responses.setdefault("422", {"description": INVALID})
            for status, answer in responses.items():
                if status[0] in "45" and isinstance(answer, dict):
                    content = answer.setdefault("content", {})
                    content.pop("application/json", None)  # FastAPI's default shape for 422, never what we send
                    content.setdefault(PROBLEM_JSON, {"schema": PROBLEM_REF})
    return schema
