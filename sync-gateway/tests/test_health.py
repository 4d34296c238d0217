"""A run of dead letters degrades `/v1/health` and raises an alert; the replica stays ready. Pool exhaustion
answers 503 with Retry-After, never a 500 after a long wait."""
import asyncio
import contextlib
import logging
import uuid

from aiokafka.structs import ConsumerRecord
from prometheus_client import REGISTRY
from sqlalchemy.exc import TimeoutError as PoolTimeout
from talent_dev.testing import is_problem


def poison(n: int) -> ConsumerRecord:
    return ConsumerRecord(topic="ats.candidates", partition=0, offset=n, timestamp=0, timestamp_type=0,
                          key=str(uuid.uuid4()).encode(), value=b"not json", checksum=None, serialized_key_size=36,
                          serialized_value_size=8, headers=[("ce_id", str(uuid.uuid4()).encode())])


async def test_a_run_of_dead_letters_degrades_health_and_raises_an_alert_but_the_gateway_stays_ready(start_gateway, caplog):
    async with start_gateway("health", dead_letter_alert_threshold=3) as gw:
        healthy = await gw.client.get("/v1/health")
        assert healthy.status_code == 200, healthy.text
        assert healthy.json()["status"] == "ok" and healthy.json()["checks"]["dead_letters"]["recent"] == 0

        logging.getLogger().addHandler(caplog.handler)  # the app's JSON logging replaced the root handlers
        app = gw.app
        hook = app.state.gateway.dead_letter_hook(app.state.uow_factory)
        with caplog.at_level(logging.ERROR, logger="sync_gateway.health"):
            for n in range(3):
                await hook(poison(n), ValueError("bad payload"), 1)
        alerts = [r for r in caplog.records if getattr(r, "alert", None) == "dead_letters"]
        assert len(alerts) == 1 and "3 dead letters in the last 10 min" in alerts[0].getMessage()
        assert REGISTRY.get_sample_value("gateway_dead_letters_recent") == 3

        report = (await gw.client.get("/v1/health")).json()
        assert report["status"] == "degraded"
        assert report["checks"]["dead_letters"] | {"open": None} == {
            "status": "degraded", "recent": 3, "window_seconds": 600, "threshold": 3, "open": None,
            "detail": "3 dead letters in the last 10 min"}
        ready = await gw.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        metrics = (await gw.client.get("/metrics")).text
        assert "gateway_alerts_total" in metrics and "gateway_dead_letters_recent 3.0" in metrics


async def test_an_exhausted_connection_pool_answers_503_with_retry_after(start_gateway):
    # nothing in the background takes connections: only the requests compete for them
    async with start_gateway("pool", db_pool_timeout_seconds=0.5, relay_enabled=False, resync_runner_enabled=False) as gw:
        assert (await gw.client.get("/v1/links")).status_code == 200
        engine = gw.app.state.engine
        held = []
        with contextlib.suppress(PoolTimeout):
            while True:  # everything the pool has
                held.append(await engine.connect())
        try:
            for path in ("/v1/links", "/v1/conflicts", "/v1/health"):
                resp = await gw.client.get(path)
                is_problem(resp, 503)
                assert int(resp.headers["retry-after"]) > 0
        finally:
            await asyncio.gather(*(conn.close() for conn in held))
        assert (await gw.client.get("/v1/links")).status_code == 200
