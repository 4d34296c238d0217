"""Route lookup by path prefix in front of FastAPI's router.

FastAPI (≥ 0.16x) keeps every included router as a lazy wrapper and, for each request, asks each of them in turn
to match the path against every route it holds, twice (once to find the router, once to pick the route). With the
forty routers of a service that is about 120 regular-expression matches and their scope bookkeeping per request:
three quarters of the CPU of a `/healthz` and a third of a `GET /v1/candidates/{id}` (measured in-process).

`index_routes(app)` puts a dispatcher in front that asks only the top-level routes whose literal path prefix (the
path up to its first `{parameter}`) the request path can start with, in their original order, and hands the first
full match to FastAPI exactly as its own loop would. Whatever that does not settle (no route, a wrong method, a
trailing-slash redirect, a websocket, the lifespan) goes to FastAPI's router unchanged, so behaviour is the same and
only the lookup is cheaper."""
from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI, routing
from starlette.routing import Match, Mount
from starlette.types import Receive, Scope, Send

# FastAPI's own steps of its router loop (it keeps its per-route context in a key of the scope); with an older
# FastAPI that lacks them, the plain Starlette equivalents.
_update_scope = getattr(routing, "_update_scope", lambda scope, child_scope: scope.update(child_scope))
_apply_form_limits = getattr(routing, "_apply_router_form_limits", lambda scope, limits: None)

# How many distinct path heads (the first three segments) are remembered; the path is the caller's, so bounded.
HEAD_CACHE_SIZE = 2048
RECHECK_SECONDS = 1.0


def _literal_prefix(path_format: str) -> str:
    """The part of a route's path before its first parameter: every path it matches starts with it."""
    return path_format.split("{", 1)[0]


def _prefixes(route: Any) -> list[str] | None:
    """The literal prefixes of everything a top-level route can match; None when unknown (always asked)."""
    if isinstance(route, Mount):
        return [_literal_prefix(route.path_format)]
    if hasattr(routing, "_IncludedRouter") and isinstance(route, routing._IncludedRouter):
        found: list[str] = []
        for context in route.effective_route_contexts():
            path = getattr(context, "path_format", None) or getattr(context.original_route, "path_format", None)
            if not isinstance(path, str):
                return None
            found.append(_literal_prefix(path))
        return found
    path = getattr(route, "path_format", None)
    return [_literal_prefix(path)] if isinstance(path, str) else None


def _head(path: str) -> str:
    """A path up to its third slash (`/v1/candidates/3f…` → `/v1/candidates/`), the key of the cache."""
    parts = path.split("/", 3)
    return "/".join(parts[:3]) + "/" if len(parts) == 4 else path


class RouteIndex:
    """The ASGI app FastAPI's middleware stack ends in, instead of the router's own loop (see the module)."""

    def __init__(self, router: routing.APIRouter) -> None:
        self.router = router
        self.fallback = router.middleware_stack
        self._version: Any = None
        self._checked, self._count = -RECHECK_SECONDS, -1
        self._entries: list[tuple[Any, list[str] | None]] = []
        self._by_head: dict[str, list[Any]] = {}

    def _current(self) -> None:
        """Index again when a route was added. FastAPI's routes version walks every included router, so it is
        read at most once a second (a route added at run time, which services do not do, waits that long)."""
        now = time.monotonic()
        if now < self._checked + RECHECK_SECONDS and len(self.router.routes) == self._count:
            return
        self._checked, self._count = now, len(self.router.routes)
        version = getattr(self.router, "_get_routes_version", lambda: None)()
        key = (version, id(self.router.routes), len(self.router.routes))
        if key != self._version:
            self._entries = [(route, _prefixes(route)) for route in self.router.routes]
            self._by_head = {}
            self._version = key

    def candidates(self, path: str) -> list[Any]:
        """Top-level routes that could match `path`, in order. Both a route's prefix and the path's head are
        prefixes of the path when it matches, so one of them starts with the other."""
        self._current()
        head = _head(path)
        found = self._by_head.get(head)
        if found is None:
            found = [route for route, prefixes in self._entries
                     if prefixes is None or any(p.startswith(head) or head.startswith(p) for p in prefixes)]
            if len(self._by_head) < HEAD_CACHE_SIZE:
                self._by_head[head] = found
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root):]
            for route in self.candidates(path):
                match, child_scope = route.matches(scope)
                if match == Match.FULL:
                    _apply_form_limits(scope, getattr(self.router, "form_limits", None))
                    scope.setdefault("router", self.router)
                    _update_scope(scope, child_scope)
                    await route.handle(scope, receive, send)
                    return
        await self.fallback(scope, receive, send)


def index_routes(app: FastAPI) -> RouteIndex:
    """Put the prefix index in front of `app`'s router (idempotent)."""
    current = app.router.middleware_stack
    if isinstance(current, RouteIndex):
        return current
    index = RouteIndex(app.router)
    app.router.middleware_stack = index
    return index

