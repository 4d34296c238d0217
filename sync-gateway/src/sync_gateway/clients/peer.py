"""A client for one side's profile resource. Every write carries the gateway's origin: its own API key
(principal `sync-gateway`), `Causation-Id` (the event being applied) and `Source-Time` (when the change happened).

The client remembers the newest version it has seen of each record (`known`: from its own reads and writes and
from the events the gateway consumes), so that a write can go out under `If-Match` of that version without a read
first; the peer refuses it (412) when the record moved on, and the caller then reads and decides again."""
from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import datetime
from typing import Any

import httpx
from talentkit.consumer import TransientError

from sync_gateway import metering
from sync_gateway.clients.batching import Coalescer, item_failure

LOOKUP_EMAILS, LOOKUP_PAGE = 50, 200  # addresses per lookup request (the peers take 100), records per page (max)


class PeerUnavailable(TransientError):
    """The other service did not answer usefully (connection refused, timeout, 5xx, 429): retry later."""


class PeerRaced(TransientError):
    """The other service's write lost a race to a concurrent one (409 `concurrent-change`: a deadlock or
    serialization failure there, nothing stored): retry this event later; the peer itself is fine."""


class PeerRejected(Exception):
    """The other service refused the write for good (4xx other than 404/409/412)."""


class StaleWrite(Exception):
    """If-Match failed: the record changed since we read it."""


class PeerClient:
    """ATS `/v1/candidates` or CRM `/v1/prospects`."""

    def __init__(self, *, side: str, base_url: str, collection: str, api_key: str, timeout: float = 10.0,
                 remember: int = 20_000, batch_items: int = 100) -> None:
        self.side, self.collection = side, collection
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout,
                                      headers={"Authorization": f"Bearer {api_key}", "User-Agent": "talent-sync-gateway"})
        self.known: OrderedDict[str, tuple[dict[str, Any], str]] = OrderedDict()  # id -> (record, ETag), LRU
        self.capacity = remember
        # Creates and updates of many people at once share one batch request (see clients/batching.py).
        self.batched: Coalescer[dict[str, Any], dict[str, Any]] = Coalescer(self._send_batch, max_items=batch_items)
        self.lookups: Coalescer[str, dict[str, Any] | None] = Coalescer(self._find_many, max_items=LOOKUP_EMAILS)

    async def close(self) -> None:
        await self.http.aclose()

    def remember(self, record: dict[str, Any], etag: str | None = None) -> None:
        """Keep the newest version seen of a record (an older one never replaces it)."""
        key, version = str(record.get("id")), record.get("version")
        if not isinstance(version, int):
            return
        seen = self.known.get(key)
        if seen is not None and seen[0].get("version", 0) > version:
            return
        self.known[key] = (record, etag or f'"{version}"')
        self.known.move_to_end(key)
        if len(self.known) > self.capacity:
            self.known.popitem(last=False)

    def recall(self, record_id: uuid.UUID | str) -> tuple[dict[str, Any], str] | None:
        """The newest version seen of a record and its ETag, if any: maybe stale, so write under If-Match only."""
        return self.known.get(str(record_id))

    def forget(self, record_id: uuid.UUID | str) -> None:
        """Drop what is remembered of a record (it moved on, or is gone)."""
        self.known.pop(str(record_id), None)

    async def get(self, record_id: uuid.UUID | str) -> tuple[dict[str, Any], str] | None:
        """The record and its ETag, or None when it does not exist."""
        resp = await self._send("GET", f"{self.collection}/{record_id}", allow=(404,))
        if resp.status_code == 404:
            self.forget(record_id)
            return None
        record, etag = resp.json(), resp.headers["etag"]
        self.remember(record, etag)
        return record, etag

    async def find_by_email(self, email: str) -> dict[str, Any] | None:
        """The oldest record having this email, or None (lookups of many people at once share one request)."""
        return await self.lookups(email)

    async def _find_one(self, email: str) -> dict[str, Any] | None:
        resp = await self._send("GET", self.collection, params={"email": email, "limit": 1})
        data = resp.json()["data"]
        return data[0] if data else None

    async def find_by_emails(self, emails: list[str]) -> dict[str, dict[str, Any]]:
        """For each of `emails` found, the oldest record having it: a few list requests for many people."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in _url_sized(sorted(set(emails))):
            params: dict[str, Any] = {"email": chunk, "limit": 200}
            while True:
                page = (await self._send("GET", self.collection, params=params)).json()
                for record in page["data"]:  # oldest first: the first record seen for an address is the oldest
                    for address in record["emails"]:
                        found.setdefault(address, record)
                if not page.get("next_cursor"):
                    break
                params = {"email": chunk, "limit": 200, "cursor": page["next_cursor"]}
        return {e: found[e] for e in emails if e in found}

    async def batch(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Apply creates and updates in one request (`POST {collection}/batch`); each item's result, in order."""
        resp = await self._send("POST", f"{self.collection}/batch", json={"items": items})
        return resp.json()["results"]  # type: ignore[no-any-return]

    async def _find_many(self, emails: list[str]) -> list[dict[str, Any] | None]:
        """Each address's oldest record, from one list request (`?email=a&email=b`, oldest first): an address
        not on a full page is looked up alone."""
        wanted = [e.strip().lower() for e in emails]
        if len(set(wanted)) == 1:
            found = await self._find_one(wanted[0])
            return [found] * len(wanted)
        resp = await self._send("GET", self.collection, params={"email": sorted(set(wanted)), "limit": LOOKUP_PAGE})
        page = resp.json()
        oldest: dict[str, dict[str, Any]] = {}
        for record in page["data"]:
            self.remember(record)
            for address in record.get("emails") or ():
                oldest.setdefault(address.strip().lower(), record)
        return [oldest[e] if e in oldest else None if not page.get("next_cursor") else await self._find_one(e)
                for e in wanted]

    async def create(self, body: dict[str, Any], *, idempotency_key: str, causation_id: str,
                     source_time: datetime | None) -> dict[str, Any]:
        """Create a record; the idempotency key makes a replay after a crash return the same record."""
        result = await self.batched({"op": "create", "body": body, "idempotency_key": idempotency_key,
                                     **self._item_origin(causation_id, source_time)})
        self._settled("POST", self.collection, result)
        record: dict[str, Any] = result["body"]
        self.remember(record, result.get("etag"))
        return record

    async def create_or_find(self, body: dict[str, Any], *, idempotency_key: str, causation_id: str,
                             source_time: datetime | None) -> tuple[dict[str, Any], bool]:
        """Create a record unless one already holds one of the body's emails (`unless_email_taken`: one round trip
        instead of a lookup and a create); the record, and whether it was created now."""
        result = await self.batched({"op": "create", "body": body, "idempotency_key": idempotency_key,
                                     "unless_email_taken": True, **self._item_origin(causation_id, source_time)})
        self._settled("POST", self.collection, result)
        record: dict[str, Any] = result["body"]
        self.remember(record, result.get("etag"))
        return record, int(result["status"]) == 201

    async def patch(self, record_id: uuid.UUID | str, body: dict[str, Any], *, etag: str, causation_id: str,
                    source_time: datetime | None, field_times: dict[str, datetime] | None = None) -> dict[str, Any]:
        """Change fields under If-Match, each stamped with its own source time; StaleWrite when the record moved on
        (412), or was erased (410) or merged away (409) since the version the caller decided on: read it again."""
        item = {"op": "update", "id": str(record_id), "if_match": etag, "body": body,
                **self._item_origin(causation_id, source_time)}
        if field_times:
            item["field_times"] = {k: v.isoformat() for k, v in field_times.items()}
        result = await self.batched(item)
        if result["status"] in (409, 410, 412):
            self.forget(record_id)
            raise StaleWrite(f"{self.side} {record_id} changed concurrently ({result['status']})")
        self._settled("PATCH", f"{self.collection}/{record_id}", result)
        record: dict[str, Any] = result["body"]
        self.remember(record, result.get("etag"))
        return record

    async def _send_batch(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        metering.peer_request(self.side, "BATCH", len(items))
        resp = await self._send("POST", f"{self.collection}/batch", json={"items": items}, metered=False)
        results: list[dict[str, Any]] = resp.json()["results"]
        return results

    def _settled(self, method: str, url: str, result: dict[str, Any]) -> None:
        """Raise for a failed item as for the single request's answer."""
        status = int(result["status"])
        if status < 400:
            return
        _, detail = item_failure(result)
        if status >= 500 or status in (408, 429):
            raise PeerUnavailable(f"{self.side} answered {status} to {method} {url}")
        if status == 409 and str((result.get("problem") or {}).get("type", "")).endswith("/concurrent-change"):
            raise PeerRaced(f"{self.side} lost a race on {method} {url} (a batch item); retrying")
        raise PeerRejected(f"{self.side} refused {method} {url}: {status} {detail}")

    @staticmethod
    def _item_origin(causation_id: str, source_time: datetime | None) -> dict[str, str]:
        """The origin a batch item carries in its body (a single request's `Causation-Id` / `Source-Time`)."""
        return {"causation_id": causation_id, **({"source_time": source_time.isoformat()} if source_time else {})}

    async def get_json(self, path: str, **params: Any) -> Any | None:
        """GET any path of this service; None on 404."""
        resp = await self._send("GET", path, params=params or None, allow=(404,))
        return None if resp.status_code == 404 else resp.json()

    async def post(self, path: str, body: dict[str, Any] | None, *, idempotency_key: str, causation_id: str,
                   allow: tuple[int, ...] = ()) -> httpx.Response:
        """POST an action or creation with the gateway's origin and an idempotency key derived from the event."""
        return await self._send("POST", path, json=body, allow=allow,
                                headers=self._origin(causation_id, None) | {"Idempotency-Key": idempotency_key})

    async def put(self, path: str, body: dict[str, Any], *, causation_id: str,
                  allow: tuple[int, ...] = ()) -> httpx.Response:
        """PUT a sub-resource as it should stand (idempotent by nature) with the gateway's origin."""
        return await self._send("PUT", path, json=body, allow=allow, headers=self._origin(causation_id, None))

    @staticmethod
    def _origin(causation_id: str, source_time: datetime | None) -> dict[str, str]:
        headers = {"Causation-Id": causation_id}
        if source_time is not None:
            headers["Source-Time"] = source_time.isoformat()
        return headers

    async def _send(self, method: str, url: str, *, allow: tuple[int, ...] = (), metered: bool = True,
                    **kwargs: Any) -> httpx.Response:
        if metered:
            metering.peer_request(self.side, method)
        try:
            resp = await self.http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise PeerUnavailable(f"{self.side} unreachable: {exc!r}") from exc
        if resp.status_code in allow or resp.is_success:
            return resp
        if resp.status_code >= 500 or resp.status_code in (408, 429):
            raise PeerUnavailable(f"{self.side} answered {resp.status_code} to {method} {url}")
        if resp.status_code == 409 and _lost_a_race(resp):
            raise PeerRaced(f"{self.side} lost a race on {method} {url}; retrying")
        raise PeerRejected(f"{self.side} refused {method} {url}: {resp.status_code} {resp.text[:500]}")


def _lost_a_race(resp: httpx.Response) -> bool:
    try:
        body = resp.json()
    except ValueError:
        return False
    return isinstance(body, dict) and str(body.get("type", "")).endswith("/concurrent-change")


def _url_sized(emails: list[str], limit: int = 6000, most: int = 200) -> list[list[str]]:
    """Addresses in groups whose query string stays well inside what servers accept in a request line."""
    groups: list[list[str]] = [[]]
    size = 0
    for address in emails:
        cost = len(address) * 3 + 7  # worst case percent-encoded, plus "&email="
        if groups[-1] and (size + cost > limit or len(groups[-1]) >= most):
            groups.append([])
            size = 0
        groups[-1].append(address)
        size += cost
    return [g for g in groups if g]
