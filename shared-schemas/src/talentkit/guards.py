"""Input guards in front of every route: a body size limit, and no NUL characters (PostgreSQL cannot store them
in text, so they would otherwise surface as a server error after validation passed). Multipart bodies carry
binary files, so their route strips NULs from text fields itself (the careers form does).

A service names its file uploads in `app.state.uploads` (path -> largest body in bytes): those bodies get their own
limit and are not scanned for NUL bytes (a UTF-16 file is full of them; the route reads the file itself)."""
from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from talentkit.errors import ContentTooLarge, field_error, problem_response

MAX_BODY_BYTES = 1_000_000
# File uploads (multipart): a 10 MB file plus its part headers. Streamed through, never buffered here.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024 + 64 * 1024


def _nul_path(value: Any, path: str = "") -> str | None:
    if isinstance(value, str):
        return path or "body" if "\x00" in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            if "\x00" in str(k):
                return f"{path}.{k}".strip(".") or "body"
            if found := _nul_path(v, f"{path}.{k}".strip(".")):
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            if found := _nul_path(v, f"{path}.{i}".strip(".")):
                return found
    return None


class InputGuard:
    """Pure ASGI middleware: buffers the body (up to MAX_BODY_BYTES), refuses NUL characters with 422 naming the field."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            param = next((p.split(b"=")[0].decode(errors="replace") for p in query.split(b"&") if b"%00" in p or b"\x00" in p), "query")
            await problem_response(422, "Validation failed", slug="validation-error", instance=scope["path"],
                                   detail="NUL characters are not allowed.",
                                   errors=[field_error(param, "contains a NUL character", "nul_character")])(scope, receive, send)
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data"):
            await self._upload(scope, receive, send, headers)
            return
        uploads = getattr(getattr(scope.get("app"), "state", None), "uploads", None) or {}
        limit = uploads.get(scope["path"], MAX_BODY_BYTES)
        def too_large() -> Any:
            return problem_response(413, "Content too large", slug="too-large", instance=scope["path"],
                                    detail=f"Request bodies are limited to {limit} bytes.")(scope, receive, send)
        declared = dict(scope.get("headers", ())).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:  # refused before reading a byte
            await too_large()
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await too_large()
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = dict(scope.get("headers") or [])
        # files are binary (a PDF or .docx holds NUL bytes): multipart forms are checked field by field by their route
        multipart = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        if scope["path"] not in uploads and not multipart and (b"\x00" in body or b"\\u0000" in body.lower()):
            try:
                where = _nul_path(json.loads(body)) or "body"
            except ValueError:
                where = "body"
            if where != "body" or b"\x00" in body:
                await problem_response(422, "Validation failed", slug="validation-error", instance=scope["path"],
                                       detail="NUL characters are not allowed.",
                                       errors=[field_error(where, "contains a NUL character", "nul_character")])(scope, receive, send)
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _upload(self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes]) -> None:
        """A multipart body: refused at once when its Content-Length is over the limit, else counted while the
        route streams it (binary files hold NUL bytes: no NUL check here)."""
        def too_large() -> ContentTooLarge:
            return ContentTooLarge(f"Uploads are limited to {MAX_UPLOAD_BYTES} bytes.",
                                   errors=[field_error("body", "too large", "too_large")])
        try:
            declared = int(headers.get(b"content-length", b"0"))
        except ValueError:
            declared = 0
        if declared > MAX_UPLOAD_BYTES:
            error = too_large()
            await problem_response(413, error.title, slug=error.slug, instance=scope["path"], detail=error.detail,
                                   errors=error.errors)(scope, receive, send)
            return
        size = 0

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > MAX_UPLOAD_BYTES:
                raise too_large()  # a ProblemError: the route's error handler answers 413
            return message

        await self.app(scope, counted, send)
