"""The app factory every service uses: lifespan (engine, outbox relay, background workers), offline docs,
health, readiness, metrics, problem+json errors and request observability."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import swagger_ui_bundle
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from talentkit.auth import api_keys_router
from talentkit.db import PlatformTables, create_engine, sessionmaker
from talentkit.errors import install_error_handlers, problem_response
from talentkit.guards import InputGuard
from talentkit.kafka import kafka_reachable
from talentkit.observability import configure_logging, install_request_middleware
from talentkit.outbox import OutboxRelay
from talentkit.settings import ServiceSettings
from talentkit.uow import EventSink, MessageBus, OutboxWriter, UnitOfWorkFactory

log = logging.getLogger("talentkit.app")
Worker = Callable[[FastAPI], Coroutine[Any, Any, None]]


def create_service_app(*, name: str, title: str, description: str, settings: ServiceSettings,
                       platform: PlatformTables, routers: list[APIRouter], source: str,
                       relay_topics: tuple[str, ...] = (), workers: tuple[Worker, ...] = (),
                       openapi_tags: list[dict[str, str]] | None = None,
                       event_sinks: tuple[EventSink, ...] = (), bus: MessageBus | None = None) -> FastAPI:
    """Build a service: the routers given plus everything every service has. Every entry point opens its
    transactions through `app.state.uow_factory` (outbox + `event_sinks`, reactions on `bus`)."""
    configure_logging(name, settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker(engine)
        app.state.uow_factory = UnitOfWorkFactory(app.state.sessionmaker,
                                                  sinks=(OutboxWriter(platform, source), *event_sinks), bus=bus)
        tasks: list[asyncio.Task[None]] = []
        if settings.relay_enabled:
            relay = OutboxRelay(engine=engine, tables=platform, bootstrap=settings.kafka_bootstrap_servers,
                                service=name, topics=relay_topics, poll_seconds=settings.relay_poll_seconds)
            app.state.relay = relay
            tasks.append(asyncio.create_task(relay.run(), name=f"{name}-outbox-relay"))
        tasks += [asyncio.create_task(worker(app), name=getattr(worker, "__name__", "worker")) for worker in workers]
        log.info("service started", extra={"service": name})
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await engine.dispose()

    tags = [{"name": "Operations", "description": "Health, readiness, metrics."},
            {"name": "API keys", "description": "Scoped keys for `Authorization: Bearer <key>`."}]
    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_tags=(openapi_tags or []) + tags)
    app.state.settings = settings
    app.state.platform = platform
    app.state.source = source
    install_error_handlers(app)
    app.add_middleware(InputGuard)
    install_request_middleware(app, name)
    for router in routers:
        app.include_router(router)
    app.include_router(api_keys_router(platform))
    app.include_router(_operations_router(settings))
    app.mount("/_docs", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{title} — API docs",
                                   swagger_js_url="/_docs/swagger-ui-bundle.js", swagger_css_url="/_docs/swagger-ui.css",
                                   swagger_favicon_url="/_docs/favicon-32x32.png")

    _add_bearer_security(app)
    return app


def _operations_router(settings: ServiceSettings) -> APIRouter:
    router = APIRouter(tags=["Operations"])

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        """200 while the process is up."""
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness", responses={503: {"description": "A dependency is unreachable."}})
    async def readyz(request: Request) -> Response:
        """200 when PostgreSQL and Kafka are both reachable; 503 problem+json naming what is not."""
        checks: dict[str, str] = {}
        try:
            async with request.app.state.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), 3)
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["kafka"] = "ok" if await kafka_reachable(settings.kafka_bootstrap_servers) else "unreachable"
        if all(v == "ok" for v in checks.values()):
            return JSONResponse({"status": "ready", "checks": checks})
        return problem_response(503, "Not ready", slug="not-ready", detail="A dependency is unreachable.", checks=checks)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        """Prometheus text exposition: HTTP, outbox, consumer lag, dead letters."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def _add_bearer_security(app: FastAPI) -> None:
    """Declare `Authorization: Bearer <key>` in the OpenAPI document for every /v1 operation."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        schema.setdefault("components", {}).setdefault("securitySchemes", {})["apiKey"] = {
            "type": "http", "scheme": "bearer",
            "description": "An API key: `Authorization: Bearer <key>`. Scopes are named on each operation."}
        for path, ops in schema.get("paths", {}).items():
            if path.startswith("/v1/"):
                for op in ops.values():
                    if isinstance(op, dict):
                        op.setdefault("security", [{"apiKey": []}])
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
