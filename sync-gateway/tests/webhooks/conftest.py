"""What every webhook test needs: a real HTTP receiver on 127.0.0.1 (scripted answers, every request kept), a wait
that fails loudly, and migrated gateway databases of their own (a module's or a test's: see the fixtures)."""
from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from talent_dev.testing import wait_until


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """An HTTP server in a thread: per path, a script of answers (status, headers; then 200), every request kept;
    paths under `/slow/` answer after `slow_seconds`."""

    server: ThreadingHTTPServer
    scripts: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    slow_seconds: float = 0.05

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, path: str, *answers: int | tuple[int, dict[str, str]]) -> str:
        self.scripts[path] = [a if isinstance(a, tuple) else (a, {}) for a in answers]
        return self.base + path

    def got(self, path: str, msg_id: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path and (msg_id is None or r.headers["webhook-id"] == msg_id)]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            rec = state["r"]
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            if self.path.startswith("/slow/"):
                time.sleep(rec.slow_seconds)
            with rec.lock:
                rec.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()))
                script = rec.scripts.get(self.path, [])
                code, headers = script.pop(0) if script else (200, {})
            payload = json.dumps({"answer": code}).encode()
            self.send_response(code)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["r"] = Receiver(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["r"]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def eventually() -> Callable[..., Any]:
    """`await eventually(check, timeout=…, message=…)`: the value `check` (sync or async) first returns truthy;
    AssertionError on timeout (this suite's deliveries and retries wait up to 30 s)."""
    return functools.partial(wait_until, timeout=30.0, interval=0.1, message="the condition")


@pytest.fixture(scope="session")
def gateway_db(talent_stack: Any) -> Callable[[str], AbstractContextManager[str]]:
    """`with gateway_db(name) as url:` a gateway database of its own at the migrations' head (a copy of the
    session's template), dropped when the block ends."""
    return functools.partial(talent_stack.database, "sync-gateway")
