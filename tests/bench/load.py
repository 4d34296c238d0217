"""An open-loop HTTP load generator on asyncio: requests go out at their intended times and latency is measured
from those times (no coordinated omission), over a small keep-alive HTTP/1.1 client of its own.

The client is a few dozen lines rather than httpx because the generator shares two cores with the servers it
measures: httpx spends about a millisecond of CPU per request, this one a tenth of that."""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .stats import MISSING, schedule


@dataclass
class Request:
    method: str
    path: str
    body: Any = None  # JSON-encoded when not None
    headers: dict[str, str] = field(default_factory=dict)
    tag: Any = None  # what the caller needs to match the result later (an email, a headline)


@dataclass
class Result:
    tag: Any
    intended: float  # wall-clock time the request was meant to go out (time.time())
    latency: float  # seconds from the intended time to the full response; MISSING on error or timeout
    status: int  # 0 when no response came
    body: bytes = b""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, raw: bytes) -> tuple[int, bytes, bool]:
        """Send one request, read its response: (status, body, keep-alive)."""
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunks.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(c[:-2] for c in chunks)
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return status, body, headers.get("connection", "").lower() != "close"

    def close(self) -> None:
        self.writer.close()


class HttpClient:
    """Keep-alive HTTP/1.1 connections to one origin, opened on demand up to `max_connections`."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None, *, max_connections: int = 256,
                 timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        self.timeout = timeout
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(max_connections)

    def encode(self, request: Request) -> bytes:
        body = b"" if request.body is None else json.dumps(request.body).encode()
        headers = {**self.headers, **request.headers, "Content-Length": str(len(body))}
        if request.body is not None:
            headers["Content-Type"] = "application/json"
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return f"{request.method} {request.path} HTTP/1.1\r\n{head}\r\n".encode() + body

    async def send(self, request: Request) -> tuple[int, bytes]:
        """One request on an idle connection (or a new one); (0, error text) when it fails or times out."""
        raw = self.encode(request)
        async with self._slots:
            conn = self._idle.pop() if self._idle else None
            try:
                if conn is None:
                    conn = _Connection(*await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.timeout))
                status, body, keep = await asyncio.wait_for(conn.exchange(raw), self.timeout)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError) as exc:
                if conn is not None:
                    conn.close()
                return 0, repr(exc).encode()
            if keep:
                self._idle.append(conn)
            else:
                conn.close()
            return status, body

    async def close(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()


async def open_loop(client: HttpClient, rate: float, duration: float, make: Callable[[int], Request],
                    ok: Callable[[int], bool] = lambda s: 200 <= s < 300) -> list[Result]:
    """Send `make(i)` at `rate` per second for `duration` seconds; each latency counts from the intended time."""
    offsets = schedule(rate, duration)
    loop = asyncio.get_running_loop()
    start_mono, start_wall = loop.time() + 0.05, time.time() + 0.05

    async def one(i: int, due: float) -> Result:
        request = make(i)
        status, body = await client.send(request)
        latency = loop.time() - due if ok(status) else MISSING
        return Result(request.tag, start_wall + (due - start_mono), latency, status, body)

    tasks = []
    for i, offset in enumerate(offsets):
        due = start_mono + offset
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    return list(await asyncio.gather(*tasks))


async def closed_loop(client: HttpClient, connections: int, duration: float, make: Callable[[int], Request],
                      ok: Callable[[int], bool] = lambda s: 200 <= s < 300) -> dict[str, Any]:
    """Saturation without wrk: `connections` workers each sending the next request when the last one answered."""
    loop = asyncio.get_running_loop()
    end = loop.time() + duration
    counter = iter(range(10**12))
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while loop.time() < end:
            t0 = loop.time()
            status, _ = await client.send(make(next(counter)))
            if ok(status):
                latencies.append(loop.time() - t0)
            else:
                errors += 1

    t0 = loop.time()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = loop.time() - t0
    return {"requests": len(latencies), "errors": errors, "seconds": elapsed, "rps": len(latencies) / elapsed,
            "latencies": latencies}
