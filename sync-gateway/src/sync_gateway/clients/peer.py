"""A client for one side's profile resource. Every write carries the gateway's origin: its own API key
(principal `sync-gateway`), `Causation-Id` (the event being applied) and `Source-Time` (when the change happened)."""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import httpx
from talentkit.consumer import TransientError

from sync_gateway import metering


class PeerUnavailable(TransientError):
    """The other service did not answer usefully (connection refused, timeout, 5xx, 429): retry later."""


class PeerRejected(Exception):
    """The other service refused the write for good (4xx other than 404/409/412)."""


class StaleWrite(Exception):
    """If-Match failed: the record changed since we read it."""


class PeerClient:
    """ATS `/v1/candidates` or CRM `/v1/prospects`."""

    def __init__(self, *, side: str, base_url: str, collection: str, api_key: str, timeout: float = 10.0) -> None:
        self.side, self.collection = side, collection
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout,
                                      headers={"Authorization": f"Bearer {api_key}", "User-Agent": "talent-sync-gateway"})

    async def close(self) -> None:
        await self.http.aclose()

    async def get(self, record_id: uuid.UUID | str) -> tuple[dict[str, Any], str] | None:
        """The record and its ETag, or None when it does not exist."""
        resp = await self._send("GET", f"{self.collection}/{record_id}", allow=(404,))
        return None if resp.status_code == 404 else (resp.json(), resp.headers["etag"])

    async def find_by_email(self, email: str) -> dict[str, Any] | None:
        """The oldest record having this email, or None."""
        resp = await self._send("GET", self.collection, params={"email": email, "limit": 1})
        data = resp.json()["data"]
        return data[0] if data else None

    async def create(self, body: dict[str, Any], *, idempotency_key: str, causation_id: str,
                     source_time: datetime | None) -> dict[str, Any]:
        """Create a record; the idempotency key makes a replay after a crash return the same record."""
        resp = await self._send("POST", self.collection, json=body,
                                headers=self._origin(causation_id, source_time) | {"Idempotency-Key": idempotency_key})
        return resp.json()

    async def patch(self, record_id: uuid.UUID | str, body: dict[str, Any], *, etag: str, causation_id: str,
                    source_time: datetime | None, field_times: dict[str, datetime] | None = None) -> dict[str, Any]:
        """Change fields under If-Match, each stamped with its own source time; StaleWrite when the record moved on."""
        headers = self._origin(causation_id, source_time) | {"If-Match": etag}
        if field_times:
            headers["Source-Field-Times"] = json.dumps({k: v.isoformat() for k, v in field_times.items()})
        resp = await self._send("PATCH", f"{self.collection}/{record_id}", json=body, allow=(412,), headers=headers)
        if resp.status_code == 412:
            raise StaleWrite(f"{self.side} {record_id} changed concurrently")
        return resp.json()

    async def get_json(self, path: str, **params: Any) -> Any | None:
        """GET any path of this service; None on 404."""
        resp = await self._send("GET", path, params=params or None, allow=(404,))
        return None if resp.status_code == 404 else resp.json()

    async def post(self, path: str, body: dict[str, Any] | None, *, idempotency_key: str, causation_id: str,
                   allow: tuple[int, ...] = ()) -> httpx.Response:
        """POST an action or creation with the gateway's origin and an idempotency key derived from the event."""
        return await self._send("POST", path, json=body, allow=allow,
                                headers=self._origin(causation_id, None) | {"Idempotency-Key": idempotency_key})

    async def put(self, path: str, body: dict[str, Any], *, causation_id: str) -> httpx.Response:
        """PUT a sub-resource as it should stand (idempotent by nature) with the gateway's origin."""
        return await self._send("PUT", path, json=body, headers=self._origin(causation_id, None))

    @staticmethod
    def _origin(causation_id: str, source_time: datetime | None) -> dict[str, str]:
        headers = {"Causation-Id": causation_id}
        if source_time is not None:
            headers["Source-Time"] = source_time.isoformat()
        return headers

    async def _send(self, method: str, url: str, *, allow: tuple[int, ...] = (), **kwargs: Any) -> httpx.Response:
        metering.peer_request(self.side, method)
        try:
            resp = await self.http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise PeerUnavailable(f"{self.side} unreachable: {exc!r}") from exc
        if resp.status_code in allow or resp.is_success:
            return resp
        if resp.status_code >= 500 or resp.status_code in (408, 429):
            raise PeerUnavailable(f"{self.side} answered {resp.status_code} to {method} {url}")
        raise PeerRejected(f"{self.side} refused {method} {url}: {resp.status_code} {resp.text[:500]}")
