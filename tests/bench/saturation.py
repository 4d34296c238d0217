"""Saturation throughput (closed loop: a fixed number of connections, each sending again as soon as it is
answered), with Debian's `wrk` when installed (2 threads, 16 connections, as in issue #9), else the asyncio
generator in closed-loop mode. Latencies of a closed loop flatter; the bench reports them only as side notes."""
from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .load import HttpClient, Request, closed_loop
from .stats import percentile

THREADS, CONNECTIONS = 2, 16
PERSON = {"first_name": "Bench", "last_name": "Load", "headline": "Load test", "location": "Berlin, Germany",
          "tags": ["bench"], "source": "referral"}

LUA = r"""
local method, path, auth, run, template = %(method)s, %(path)s, %(auth)s, %(run)s, %(template)s
local ids = {%(ids)s}
local tid, counter = 0, 0

function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
end

function init(args)
  math.randomseed(tid * 7919 + os.time())
end

function request()
  counter = counter + 1
  if method == "GET" then
    return wrk.format("GET", path .. ids[math.random(#ids)], {["Authorization"] = auth})
  end
  local key = run .. "-" .. tid .. "-" .. counter
  return wrk.format("POST", path, {["Authorization"] = auth, ["Content-Type"] = "application/json",
                                   ["Idempotency-Key"] = key}, string.format(template, key))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCHJSON {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "status": %%d, "timeout": %%d, "p50_us": %%d, "p99_us": %%d}\n', summary.requests,
    summary.duration, e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class Target:
    """What to load: `GET <path><id>` over `ids`, or `POST <path>` of a new person with a unique email."""

    base_url: str
    method: str
    path: str
    headers: dict[str, str]
    ids: list[str] | None = None

    def request(self, run: str, i: int) -> Request:
        if self.method == "GET":
            assert self.ids
            return Request("GET", f"{self.path}{self.ids[i % len(self.ids)]}")
        key = f"{run}-{i}"
        return Request("POST", self.path, {**PERSON, "emails": [f"{key}@bench.example.com"]},
                       {"Idempotency-Key": key}, tag=key)


def _lua_str(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for these (ASCII) values


async def saturate(target: Target, seconds: float) -> dict[str, Any]:
    """Requests per second answered with 2xx at saturation, plus the closed loop's p50/p99 and error counts."""
    run = f"sat{uuid.uuid4().hex[:10]}"
    if shutil.which("wrk"):
        out = await _wrk(target, seconds, run)
    else:
        client = HttpClient(target.base_url, target.headers)
        try:
            out = await closed_loop(client, CONNECTIONS, seconds, lambda i: target.request(run, i))
        finally:
            await client.close()
        lat = out.pop("latencies")
        out |= {"tool": f"asyncio closed loop, {CONNECTIONS} connections", "p50": percentile(lat, 50),
                "p99": percentile(lat, 99)}
    if out["errors"] > out["requests"]:  # mostly failing: say why, with one request of the same kind
        client = HttpClient(target.base_url, target.headers)
        try:
            status, body = await client.send(target.request(f"{run}-probe", 0))
        finally:
            await client.close()
        out["probe"] = f"HTTP {status}: {body[:300].decode(errors='replace')}"
    return out


async def _wrk(target: Target, seconds: float, run: str) -> dict[str, Any]:
    template = json.dumps({**PERSON, "emails": ["EMAIL"]}).replace("%", "%%").replace("EMAIL", "%s@bench.example.com")
    script = LUA % {
        "method": _lua_str(target.method), "path": _lua_str(target.path),
        "auth": _lua_str(target.headers.get("Authorization", "")), "run": _lua_str(run), "template": _lua_str(template),
        "ids": ", ".join(_lua_str(i) for i in (target.ids or [])),
    }
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        path = Path(tmp) / "load.lua"
        path.write_text(script)
        proc = await asyncio.create_subprocess_exec(
            "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
            "-s", str(path), f"{target.base_url}{target.path}",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), seconds + 30)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    text = out.decode(errors="replace")
    line = next((ln for ln in text.splitlines() if ln.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{text}")
    r = json.loads(line.removeprefix("BENCHJSON "))
    ok = r["requests"] - r["status"]
    secs = r["duration_us"] / 1e6
    return {"tool": f"wrk -t{THREADS} -c{CONNECTIONS}", "requests": ok, "seconds": secs, "rps": ok / secs,
            "errors": r["status"] + r["connect"] + r["read"] + r["write"] + r["timeout"],
            "p50": r["p50_us"] / 1e6, "p99": r["p99_us"] / 1e6}
