"""The app factory every service uses: lifespan (engine, outbox relay, background workers), offline docs,
health, readiness, metrics, problem+json errors and request observability."""
from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import swagger_ui_bundle
from fastapi import APIRouter, FastAPI, Request, routing
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.telemetry import TelemetryConfig
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from talentkit.apidocs import PROBLEM_REF, document_errors
from talentkit.auth import ALL_SCOPES, PrincipalCache
from talentkit.db import PlatformTables, create_engine, database_check, sessionmaker
from talentkit.errors import SafeJSONResponse, install_error_handlers, problem_response
from talentkit.event_keys import event_keys_router
from talentkit.guards import InputGuard
from talentkit.kafka import kafka_reachable
from talentkit.keys import TOKEN_PATH, api_keys_router
from talentkit.observability import configure_logging, install_request_middleware
from talentkit.outbox import OutboxRelay
from talentkit.ratelimit import RateLimitHeaders, SharedRateLimiter
from talentkit.routing import index_routes
from talentkit.settings import ServiceSettings
from talentkit.uow import EventSink, MessageBus, OutboxWriter, Signal, UnitOfWorkFactory

log = logging.getLogger("talentkit.app")
# Longer than the workers' own bounded stops (the consumer drains for 5 s and commits for 5; leaving its group and
# flushing the producer take well under a second with the broker up); as long as a process manager's usual grace.
SHUTDOWN_SECONDS = 25.0
Worker = Callable[[FastAPI], Coroutine[Any, Any, None]]
# The platform observes itself with Prometheus metrics and JSON logs (talentkit.observability); FastAPI's own
# OpenTelemetry hooks would only look up unconfigured providers on every request.
NO_OTEL: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


async def stop_workers(tasks: list[asyncio.Task[None]], timeout: float = SHUTDOWN_SECONDS) -> None:
    """Cancel the background tasks and wait at most `timeout` seconds for them. A task still running then is
    logged with where it waits, cancelled once more and given a second; one that ignores that too is left behind,
    so a worker that misses its cancellation cannot hang the shutdown (a process manager would kill the process
    after its grace period anyway; this one says why). A task that failed is logged with its error."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    done, late = await asyncio.wait(tasks, timeout=timeout)
    for task in late:
        log.error("background task did not stop", extra={"task": task.get_name(), "waiting_in": _where(task)})
        task.cancel()
    if late:
        more, _ = await asyncio.wait(late, timeout=1.0)
        done |= more
    for task in done:
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("background task failed", extra={"task": task.get_name()}, exc_info=error)


def _where(task: asyncio.Task[None]) -> str:
    """Where a task waits: its chain of awaits, outermost first, as `function (file:line)`."""
    coro: Any = task.get_coro()
    frames = []
    while coro is not None and (frame := getattr(coro, "cr_frame", None)) is not None:
        frames.append(f"{frame.f_code.co_name} ({frame.f_code.co_filename}:{frame.f_lineno})")
        coro = getattr(coro, "cr_await", None)
    return " > ".join(frames) or "?"


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
        engine = create_engine(settings.database_url, pool_timeout=settings.db_pool_timeout_seconds)
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker(engine)
        app.state.rate_limiter = SharedRateLimiter(engine, platform.rate_limit_buckets)
        app.state.committed = Signal()  # idle background workers wake on it (`talentkit.background.repeat`)
        app.state.uow_factory = UnitOfWorkFactory(app.state.sessionmaker,
                                                  sinks=(OutboxWriter(platform, source), *event_sinks), bus=bus,
                                                  committed=app.state.committed)
        tasks: list[asyncio.Task[None]] = []
        if settings.relay_enabled:
            relay = OutboxRelay(engine=engine, tables=platform, bootstrap=settings.kafka_bootstrap_servers,
                                service=name, topics=relay_topics, poll_seconds=settings.relay_poll_seconds,
                                linger_seconds=settings.relay_linger_seconds)
            app.state.relay = relay
            tasks.append(asyncio.create_task(relay.run(), name=f"{name}-outbox-relay"))
        tasks += [asyncio.create_task(worker(app), name=getattr(worker, "__name__", "worker")) for worker in workers]
        log.info("service started", extra={"service": name})
        try:
            yield
        finally:
            try:
                await stop_workers(tasks)
            finally:
                await engine.dispose()

    tags = [{"name": "Operations", "description": "Health, readiness, metrics."},
            {"name": "API keys", "description": "Scoped keys for `Authorization: Bearer <key>`."},
            {"name": "OAuth", "description": "OAuth 2.0 client credentials: clients, and short-lived access tokens "
                                             f"from `{TOKEN_PATH}` that every service accepts."}]
    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_tags=(openapi_tags or []) + tags, telemetry=NO_OTEL,
                  default_response_class=SafeJSONResponse)
    app.state.settings = settings
    app.state.platform = platform
    app.state.source = source
    app.state.principals = PrincipalCache(settings.key_cache_seconds)
    install_error_handlers(app)
    app.add_middleware(InputGuard)
    install_request_middleware(app, name)
    app.add_middleware(RateLimitHeaders)
    if proxies := settings.trusted_proxy_list():  # outermost: everything after it sees the real client address
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    for router in routers:
        app.include_router(router)
    app.include_router(api_keys_router(platform))
    if platform.subject_keys is not None:
        app.include_router(event_keys_router(platform.subject_keys))
    app.include_router(_operations_router(settings))
    app.mount("/_docs", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{title} — API docs",
                                   swagger_js_url="/_docs/swagger-ui-bundle.js", swagger_css_url="/_docs/swagger-ui.css",
                                   swagger_favicon_url="/_docs/favicon-32x32.png")

    _add_bearer_security(app)
    index_routes(app)
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
        checks = {"database": await database_check(request.app.state.engine)}
        checks["kafka"] = "ok" if await kafka_reachable(settings.kafka_bootstrap_servers) else "unreachable"
        if all(v == "ok" for v in checks.values()):
            return JSONResponse({"status": "ready", "checks": checks})
        return problem_response(503, "Not ready", slug="not-ready", detail="A dependency is unreachable.", checks=checks)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        """Prometheus text exposition: HTTP, outbox, consumer lag, dead letters (of every worker process)."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # several workers: add up what each one wrote
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def _required_scopes(app: FastAPI) -> dict[tuple[str, str], str]:
    """(path, method) → the scope its `require(...)` dependency names."""
    found: dict[tuple[str, str], str] = {}

    def walk(dependant: Any) -> str | None:
        for dep in dependant.dependencies:
            if scope := getattr(dep.call, "required_scope", None) or walk(dep):
                return scope
        return None

    flatten = getattr(routing, "iter_route_contexts", lambda routes: routes)  # FastAPI ≥ 0.16x nests included routers
    for route in flatten(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is not None and (scope := walk(dependant)):
            found.update({(route.path_format, m.lower()): scope for m in route.methods or ()})
    return found


ON_BEHALF_OF = {
    "name": "On-Behalf-Of", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 200},
    "description": "The user this call acts for (an email or user id), recorded apart from the calling credential. "
                   "Only credentials with the scope `act:on_behalf_of` may send it (403 otherwise); an invalid value is 422."}
RATE_LIMITED = {
    "description": "The credential's rate limit is spent: wait `Retry-After` seconds. Every response announces "
                   "`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds).",
    "content": {"application/problem+json": {"schema": PROBLEM_REF}}}


def _add_bearer_security(app: FastAPI) -> None:
    """Declare both credentials (a bearer API key, an OAuth client-credentials token) for every /v1 operation."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["apiKey"] = {
            "type": "http", "scheme": "bearer",
            "description": "An API key: `Authorization: Bearer <key>`. Scopes are named on each operation."}
        schemes["oauth2"] = {
            "type": "oauth2", "description": f"Client credentials: exchange a client id and secret at `{TOKEN_PATH}` "
            "for a short-lived access token, sent as `Authorization: Bearer <token>`.",
            "flows": {"clientCredentials": {"tokenUrl": TOKEN_PATH, "scopes": {s: f"the `{s}` scope" for s in ALL_SCOPES}}}}
        scopes = _required_scopes(app)
        for path, ops in schema.get("paths", {}).items():
            if path.startswith("/v1/"):
                for method, op in ops.items():
                    if isinstance(op, dict):
                        needed = [scopes[(path, method)]] if (path, method) in scopes else []
                        op.setdefault("security", [{"apiKey": []}, {"oauth2": needed}])
                        op.setdefault("parameters", []).append(ON_BEHALF_OF)
                        op.setdefault("responses", {}).setdefault("429", RATE_LIMITED)
        app.openapi_schema = document_errors(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
