"""`Idempotency-Key` for POSTs: the key row is claimed in the request's transaction, so a retry gets the
stored response, a concurrent duplicate waits for the first and replays it, and a failed request leaves no key."""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from talentkit.auth import Principal, _principal
from talentkit.db import Session
from talentkit.errors import Unprocessable, field_error

REPLAYED_HEADER = "Idempotent-Replayed"
_KEPT_HEADERS = ("etag", "location")


class Idempotency:
    """A claimed key (or none): `replay` holds the earlier response when this is a retry."""

    def __init__(self, session: AsyncSession | None = None, table=None, principal: str = "", key: str | None = None) -> None:
        self.session, self.table, self.principal, self.key = session, table, principal, key
        self.replay: Response | None = None

    async def run(self, produce) -> Response:  # type: ignore[no-untyped-def]
        """Replay the stored response of a retry, or produce the response (awaitable) and store it."""
        if self.replay is not None:
            return self.replay
        return await self.store(await produce())

    async def store(self, response: JSONResponse) -> JSONResponse:
        """Keep the response for retries (same transaction as the write: in the unit of work's closing statement)."""
        if self.key and self.session is not None:
            values = {"p": self.principal, "k": self.key, "status_code": response.status_code,
                      "response_body": bytes(response.body).decode(),
                      "response_headers": {k: v for k, v in response.headers.items() if k in _KEPT_HEADERS}}
            uow = self.session.info.get("uow")
            if uow is not None:
                uow.closing(f"idempotency:{self.key}", lambda: StoredResponse(self.table, values))
            else:
                await self.session.execute(_statements(self.table).store, values)
        return response


@dataclass
class StoredResponse:
    """The response kept under a claimed key, written by the unit of work's closing statement."""

    table: Table
    values: dict[str, Any]

    def render(self, p: str) -> tuple[list[str], dict[str, Any], list[str]]:
        cte = (f"{p}stored AS (UPDATE {self.table.name} SET status_code = CAST(:{p}status_code AS integer), "
               f"response_body = CAST(:{p}response_body AS text), response_headers = CAST(:{p}response_headers AS jsonb) "
               f"WHERE principal = CAST(:{p}p AS text) AND key = CAST(:{p}k AS text))")
        v = self.values
        return [cte], {f"{p}status_code": v["status_code"], f"{p}response_body": v["response_body"],
                       f"{p}response_headers": json.dumps(v["response_headers"]), f"{p}p": v["p"], f"{p}k": v["k"]}, []


@dataclass(frozen=True)
class _Statements:
    claim: Any
    stored: Any
    store: Any


@functools.cache
def _statements(t: Table) -> _Statements:
    """Built once per table: a prebuilt statement's cache key is computed once, not on every request."""
    mine = (t.c.principal == bindparam("p")) & (t.c.key == bindparam("k"))
    return _Statements(
        claim=insert(t).values(principal=bindparam("p"), key=bindparam("k"), method=bindparam("method"),
                               path=bindparam("path"), request_hash=bindparam("request_hash"))
        .on_conflict_do_nothing().returning(t.c.key),
        stored=select(t).where(mine),
        store=update(t).where(mine).values(status_code=bindparam("status_code"), response_body=bindparam("response_body"),
                                           response_headers=bindparam("response_headers", type_=t.c.response_headers.type)))


def _request_hash(method: str, path: str, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode() if body else b""
    except ValueError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


async def _idempotency(request: Request, session: Session, caller: Annotated[Principal, Depends(_principal)],
                       idempotency_key: Annotated[str | None, Header(
                           max_length=255, description="Any unique string (a UUID is ideal). A retry with the same key "
                           "and body returns the first response; the same key with another body is refused (422).")] = None,
                       ) -> Idempotency:
    if not idempotency_key:
        return Idempotency()
    principal = caller.key_id  # two credentials with one name never share stored responses
    t = request.app.state.platform.idempotency_keys
    req_hash = _request_hash(request.method, request.url.path, await request.body())
    statements, mine = _statements(t), {"p": principal, "k": idempotency_key}
    claimed = (await session.execute(statements.claim, {**mine, "method": request.method, "path": request.url.path,
                                                         "request_hash": req_hash})).first()
    guard = Idempotency(session, t, principal, idempotency_key)
    if claimed is not None:
        return guard
    row = (await session.execute(statements.stored, mine)).one()
    if row.request_hash != req_hash:
        raise Unprocessable("This Idempotency-Key was already used with another request; use a new key.",
                            errors=[field_error("Idempotency-Key", "reused with a different request", "idempotency_key_reused")])
    guard.key = None  # nothing more to store
    guard.replay = Response(content=row.response_body, status_code=row.status_code, media_type="application/json",
                            headers={**(row.response_headers or {}), REPLAYED_HEADER: "true"})
    return guard


IdempotencyGuard = Annotated[Idempotency, Depends(_idempotency)]
