"""The least any gateway must do to carry a change to the other side, as a baseline for the sync latency: read
the events from Kafka, open their sealed values with the source's keys (one key request per fetch, as the gateway
asks), and write to the other side through its real batch endpoint (one request per fetch), with the gateway's
key and the event as the cause:

- ATS -> CRM: each candidate creation becomes a prospect creation;
- CRM -> ATS: each prospect update becomes an update of the linked candidate, of the fields the event changed,
  under `If-Match: *` (the links are handed in: the bench knows them from its tap).

No links made, no field policy, echo handling, conflict records, processed-events rows or committed offsets: what
it leaves out the product cannot do without.

It runs on the same stack, at the same rate, with the gateway stopped. Its latency is the floor of the product's
sync on this machine: where this loop misses the target, no gateway can meet it here."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from shared_schemas.envelope import EventEnvelope, InvalidEvent
from shared_schemas.topics import ATS_CANDIDATES, CRM_PROSPECTS
from talentkit.sealing import KeyUnavailable, Unsealer, http_key_fetch

from .kafka import consumer_at_end, stop_consuming

FIELDS = ("first_name", "last_name", "emails", "headline", "location")  # what both sides share of a person


@dataclass(frozen=True)
class Route:
    """One direction: where the events come from and how each becomes an item of the other side's batch."""

    topic: str
    event_type: str
    source: str  # the CloudEvents source whose keys open the events ("/ats", "/crm")
    target: str  # "ats" / "crm"
    batch_path: str
    item: Callable[[EventEnvelope, dict[str, Any]], dict[str, Any] | None]  # None: nothing to carry


def _prospect_creation(event: EventEnvelope, data: dict[str, Any]) -> dict[str, Any] | None:
    candidate = data["candidate"]
    body = {k: candidate[k] for k in FIELDS if candidate.get(k) not in (None, [])}
    return {"op": "create", "body": body, "idempotency_key": f"bare-{event.id}", "causation_id": event.id}


def _candidate_update(links: dict[str, str]) -> Callable[[EventEnvelope, dict[str, Any]], dict[str, Any] | None]:
    def item(event: EventEnvelope, data: dict[str, Any]) -> dict[str, Any] | None:
        candidate_id, prospect = links.get(event.subject), data["prospect"]
        body = {k: prospect[k] for k in (data.get("changes") or {}) if k in FIELDS}
        if candidate_id is None or not body:
            return None
        return {"op": "update", "id": candidate_id, "if_match": "*", "body": body, "causation_id": event.id}
    return item


class BarePipeline:
    """`await start()` fixes the starting positions (the end of the topic, now); `await stop()` ends it.
    `links` (prospect id -> candidate id) makes it carry CRM -> ATS; without, ATS -> CRM."""

    def __init__(self, bootstrap: str, ats_url: str, crm_url: str, admin_headers: dict[str, str],
                 gateway_key: str, links: dict[str, str] | None = None) -> None:
        self.bootstrap, self.urls = bootstrap, {"ats": ats_url, "crm": crm_url}
        self.admin_headers = admin_headers
        self.gateway_headers = {"Authorization": f"Bearer {gateway_key}"}
        self.route = (Route(ATS_CANDIDATES, "ats.candidate.created.v1", "/ats", "crm", "/v1/prospects/batch",
                            _prospect_creation) if links is None else
                      Route(CRM_PROSPECTS, "crm.prospect.updated.v1", "/crm", "ats", "/v1/candidates/batch",
                            _candidate_update(links)))
        self.consumer: AIOKafkaConsumer | None = None
        self.task: asyncio.Task[None] | None = None
        self.carried = 0
        self.failed = 0

    async def start(self) -> None:
        # the gateway's fetch settings: a fetch returns as soon as a record is there
        self.consumer = await consumer_at_end(self.bootstrap, [self.route.topic], fetch_max_wait_ms=1000)
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self.consumer is not None
        route = self.route
        source_url = self.urls["ats" if route.source == "/ats" else "crm"]
        async with httpx.AsyncClient(timeout=30) as keys_client, \
                httpx.AsyncClient(base_url=self.urls[route.target], timeout=30, headers=self.gateway_headers) as peer:
            unsealer = Unsealer(http_key_fetch({route.source: source_url}, self.admin_headers, keys_client))
            while True:
                batches = await self.consumer.getmany(timeout_ms=1000, max_records=100)
                events: list[EventEnvelope] = []
                for records in batches.values():
                    for record in records:
                        with contextlib.suppress(InvalidEvent):
                            event = EventEnvelope.from_kafka(record.headers, record.value)
                            if event.type == route.event_type:
                                events.append(event)
                if not events:
                    continue
                await unsealer.prefetch(events)
                items: list[dict[str, Any]] = []
                for event in events:
                    try:
                        item = route.item(event, (await unsealer.open(event)).envelope.data)
                    except (KeyUnavailable, KeyError, TypeError):
                        self.failed += 1
                        continue
                    if item is not None:
                        items.append(item)
                if not items:
                    continue
                try:
                    resp = await peer.post(route.batch_path, json={"items": items})
                    results = resp.json()["results"] if resp.status_code == 200 else []
                except (httpx.HTTPError, ValueError, KeyError):
                    results = []
                ok = sum(1 for r in results if int(r.get("status", 0)) < 300)
                self.carried += ok
                self.failed += len(items) - ok

    async def stop(self) -> None:
        await stop_consuming(self.task, self.consumer)
