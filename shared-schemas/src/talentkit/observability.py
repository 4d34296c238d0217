"""Structured JSON logs carrying the request id, and the request middleware that measures every call."""
from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from talentkit.metrics import HTTP_LATENCY, HTTP_REQUESTS

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestActivity:
    """How busy this process is serving requests: the seconds its requests spent in flight, summed as each ends.
    Over an interval, that sum divided by the interval is how many requests were in flight on average; background
    work reads it to yield to them (the CRM's embedding worker does). One float addition per request."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def add(self, elapsed: float) -> None:
        self.seconds += elapsed

    def reading(self) -> tuple[float, float]:
        """Now (monotonic) and the request-seconds so far: the start of an interval for `since`."""
        return time.monotonic(), self.seconds

    def since(self, start: tuple[float, float]) -> tuple[float, float]:
        """The seconds since `start` and the requests in flight on average over them."""
        elapsed = time.monotonic() - start[0]
        return elapsed, (self.seconds - start[1]) / elapsed if elapsed > 0 else 0.0


request_activity = RequestActivity()  # this process's requests (every app of the process adds to it)
_STD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, service and any `extra` fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if rid := request_id_var.get():
            out["request_id"] = rid
        out.update({k: v for k, v in vars(record).items() if k not in _STD_ATTRS and not k.startswith("_")})
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Route every logger (ours, uvicorn's, aiokafka's) through the JSON formatter on stdout."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our middleware logs each request once, with its id
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # httpx logs every request at INFO: a JSON line per peer call of the gateway (thousands a second under load),
    # which the peer's own access log already has, with its request id
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))


class RequestObserver:
    """Pure ASGI middleware: the request id (`X-Request-ID` in and out), one access log line and Prometheus metrics
    for every request. (Starlette's BaseHTTPMiddleware would re-stream every response through a task and queue.)"""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app, self.service = app, service
        self.access = logging.getLogger("talentkit.access")
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._timers: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None) or uuid.uuid4().hex
        token = request_id_var.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        start = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", rid.encode("latin-1"))]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            self._observe(scope, status, elapsed)
            request_id_var.reset(token)

    def _observe(self, scope: Scope, status: int, elapsed: float) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "other"  # label sets stay bounded
        route = getattr(scope.get("route"), "path", "unmatched")
        counter = self._counters.get((method, route, status))
        if counter is None:  # label lookups take a lock and hash every label: once per combination
            counter = self._counters[(method, route, status)] = HTTP_REQUESTS.labels(self.service, method, route, str(status))
        timer = self._timers.get((method, route))
        if timer is None:
            timer = self._timers[(method, route)] = HTTP_LATENCY.labels(self.service, method, route)
        counter.inc()
        timer.observe(elapsed)
        if route not in ("/healthz", "/metrics"):
            request_activity.add(elapsed)
            self.access.info("request", extra={"method": scope["method"], "path": scope["path"], "status": status,
                                               "duration_ms": round(elapsed * 1000, 1)})


def install_request_middleware(app: FastAPI, service: str) -> None:
    """Request id (`X-Request-ID` in and out), access log line and Prometheus metrics for every request."""
    app.add_middleware(RequestObserver, service=service)
