"""The least any gateway must do to carry an ATS candidate into the CRM, as a baseline for the sync latency: read
the creations from Kafka, open their sealed values with the ATS's keys (one key request per fetch, as the gateway
asks), and create the people in the CRM through its real batch endpoint (one request per fetch), with the gateway's
key and the ATS event as the cause. No links, field policy, echo handling, conflict records, processed-events rows
or committed offsets: what it leaves out the product cannot do without.

It runs on the same stack, at the same rate, with the gateway stopped. Its latency is the floor of the product's
ATS -> CRM sync on this machine: where this loop misses the target, no gateway can meet it here."""
from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from shared_schemas.envelope import EventEnvelope, InvalidEvent
from shared_schemas.topics import ATS_CANDIDATES
from talentkit.sealing import KeyUnavailable, Unsealer, http_key_fetch

from .kafka import consumer_at_end

FIELDS = ("first_name", "last_name", "emails", "headline", "location")  # what the CRM takes of a candidate


class BarePipeline:
    """`await start()` fixes the starting positions (the end of the topic, now); `await stop()` ends it."""

    def __init__(self, bootstrap: str, ats_url: str, crm_url: str, admin_headers: dict[str, str],
                 gateway_key: str) -> None:
        self.bootstrap, self.ats_url, self.crm_url = bootstrap, ats_url, crm_url
        self.admin_headers = admin_headers
        self.crm_headers = {"Authorization": f"Bearer {gateway_key}"}
        self.consumer: AIOKafkaConsumer | None = None
        self.task: asyncio.Task[None] | None = None
        self.created = 0
        self.failed = 0

    async def start(self) -> None:
        # the gateway's fetch settings: a fetch returns as soon as a record is there
        self.consumer = await consumer_at_end(self.bootstrap, [ATS_CANDIDATES], fetch_max_wait_ms=1000)
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self.consumer is not None
        async with httpx.AsyncClient(timeout=30) as keys_client, \
                httpx.AsyncClient(base_url=self.crm_url, timeout=30, headers=self.crm_headers) as crm:
            unsealer = Unsealer(http_key_fetch({"/ats": self.ats_url}, self.admin_headers, keys_client))
            while True:
                batches = await self.consumer.getmany(timeout_ms=1000, max_records=100)
                events: list[EventEnvelope] = []
                for records in batches.values():
                    for record in records:
                        with contextlib.suppress(InvalidEvent):
                            event = EventEnvelope.from_kafka(record.headers, record.value)
                            if event.type == "ats.candidate.created.v1":
                                events.append(event)
                if not events:
                    continue
                await unsealer.prefetch(events)
                items: list[dict[str, Any]] = []
                for event in events:
                    try:
                        candidate = (await unsealer.open(event)).envelope.data["candidate"]
                    except (KeyUnavailable, KeyError, TypeError):
                        self.failed += 1
                        continue
                    body = {k: candidate[k] for k in FIELDS if candidate.get(k) not in (None, [])}
                    items.append({"op": "create", "body": body, "idempotency_key": f"bare-{event.id}",
                                  "causation_id": event.id})
                if not items:
                    continue
                try:
                    resp = await crm.post("/v1/prospects/batch", json={"items": items})
                    results = resp.json()["results"] if resp.status_code == 200 else []
                except (httpx.HTTPError, ValueError, KeyError):
                    results = []
                ok = sum(1 for r in results if int(r.get("status", 0)) < 300)
                self.created += ok
                self.failed += len(items) - ok

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
        if self.consumer is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self.consumer.stop()
