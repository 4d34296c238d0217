"""Test helpers to drive services the way users do: in-process over ASGI (with the real lifespan: relay,
consumers) or as real uvicorn processes that a test can SIGKILL and restart."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from talent_dev.localstack import multiprocess_metrics_env, uvicorn_argv


@asynccontextmanager
async def running_app(app: FastAPI, **client_kwargs: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (outbox relay, consumers) and yield an httpx client talking to it over ASGI."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service", **client_kwargs) as client:
            yield client


# Processes started for tests and benchmarks send webhooks only to this machine, whatever `env` says.
LOOPBACK_ONLY = {"GATEWAY_WEBHOOKS_DESTINATIONS": "loopback"}


class ServiceProcess:
    """One service as a real `uvicorn --factory` process on 127.0.0.1:port, with `workers` worker processes
    (webhooks: loopback destinations only)."""

    def __init__(self, *, factory: str, port: int, env: dict[str, str], log_path: Path, bin_dir: Path,
                 workers: int = 1) -> None:
        self.factory, self.port, self.env, self.log_path, self.bin_dir = factory, port, env, log_path, bin_dir
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ServiceProcess:
        """Start and wait until /readyz answers 200."""
        return self.launch().wait_ready(timeout)

    def launch(self) -> ServiceProcess:
        """Start the process without waiting for it (`wait_ready` next; `start_all` starts several side by side)."""
        log = open(self.log_path, "ab")  # noqa: SIM115 - the process owns it
        self.proc = subprocess.Popen(
            uvicorn_argv(self.factory, self.port, bin_dir=self.bin_dir, workers=self.workers),
            env={**os.environ, **multiprocess_metrics_env(self.log_path.with_suffix(".metrics"), self.workers),
                 **self.env, **LOOPBACK_ONLY}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=self.workers > 1)  # its own process group: a SIGKILL reaches the workers too
        return self

    def wait_ready(self, timeout: float = 60.0) -> ServiceProcess:
        """Wait until the launched process's /readyz answers 200."""
        assert self.proc is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.factory} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.factory} not ready after {timeout}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush, like a crashed pod."""
        if self.proc and self.proc.poll() is None:
            if self.workers > 1:
                os.killpg(self.proc.pid, signal.SIGKILL)
            else:
                self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """Graceful stop (SIGTERM), then SIGKILL after 15 s."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def start_all(processes: list[ServiceProcess], timeout: float = 60.0) -> list[ServiceProcess]:
    """Start the processes side by side (their imports and start-up overlap) and wait until each is ready; when one
    fails, every one started is stopped before the error is raised."""
    try:
        for process in processes:
            process.launch()
        for process in processes:
            process.wait_ready(timeout)
    except BaseException:
        for process in reversed(processes):
            process.stop()
        raise
    return processes
