"""Operational endpoints of every service, and auth on the API."""
import httpx
import pytest

SERVICES = [("ats", "/v1/candidates"), ("crm", "/v1/prospects"), ("gateway", "/v1/links")]


@pytest.mark.parametrize(("service", "api_path"), SERVICES)
async def test_health_metrics_docs_and_auth(e2e, service, api_path):
    base = getattr(e2e, f"{service}_url")
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        health = await client.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"

        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "kafka": "ok"}

        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        assert "http_requests_total" in metrics.text

        spec = await client.get("/openapi.json")
        assert spec.status_code == 200
        doc = spec.json()
        assert doc["openapi"].startswith("3.1")
        assert api_path in doc["paths"]

        docs = await client.get("/docs")
        assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
        assert "/_docs/swagger-ui-bundle.js" in docs.text
        assert "/openapi.json" in docs.text
        assert "cdn" not in docs.text.lower()  # renders offline
        bundle = await client.get("/_docs/swagger-ui-bundle.js")
        assert bundle.status_code == 200 and len(bundle.content) > 10_000
        assert (await client.get("/_docs/swagger-ui.css")).status_code == 200

        for headers in ({}, {"Authorization": "Bearer not-a-key"}):
            denied = await client.get(api_path, headers=headers)
            assert denied.status_code == 401, denied.text
            assert denied.headers["content-type"].startswith("application/problem+json")
            problem = denied.json()
            assert problem["status"] == 401 and problem.get("title")

        ok = await client.get(api_path, headers=e2e.headers)
        assert ok.status_code == 200 and "data" in ok.json()
