"""A fresh stack of the bench's own on free ports: durable PostgreSQL, a KRaft Kafka, the ATS, the CRM and the
gateway as real uvicorn processes with `make run`'s settings (one worker each), the bare baseline app and the
framework floor (`bench.floor_app`).
Everything it starts is stopped by `close()`, which the caller runs in a `finally`."""
from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from talent_dev import localstack as ls
from talent_dev.testing import ServiceProcess, free_port

BENCH_DIR = Path(__file__).resolve().parent
SERVICES = {name: (sdir, prefix, factory) for name, sdir, prefix, factory, _ in ls.SERVICES}


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


@dataclass
class BenchStack:
    repo: Path
    run_dir: Path = field(init=False)
    admin_url: str = ""
    db_urls: dict[str, str] = field(default_factory=dict)
    bootstrap: str = ""
    admin_key: str = field(default_factory=lambda: f"bench-admin-{secrets.token_hex(8)}")
    gateway_key: str = field(default_factory=lambda: f"bench-gateway-{secrets.token_hex(8)}")
    procs: dict[str, ServiceProcess] = field(default_factory=dict)
    kafka: subprocess.Popen[bytes] | None = None
    smtp: Any = None
    pg_started: bool = False
    _lock: Any = None

    def __post_init__(self) -> None:
        self.run_dir = self.repo / ".local" / "bench" / "run"

    @property
    def pg_dir(self) -> Path:
        return self.run_dir / "postgres" / "data"

    @property
    def kafka_dir(self) -> Path:
        return self.run_dir / "kafka"

    @property
    def logs(self) -> Path:
        return self.repo / ".local" / "bench" / "logs"

    def url(self, name: str) -> str:
        return self.procs[name].url

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    def key_service(self) -> tuple[dict[str, str], dict[str, str]]:
        """Where the keys of sealed event values come from (each source's producer) and the headers to ask with."""
        return {"/ats": self.url("ats"), "/crm": self.url("crm")}, self.headers

    # -------------------------------------------------------------------------------------------- start
    def start(self) -> None:
        """PostgreSQL (durable), Kafka, databases + migrations, an SMTP sink, the services and the bare app."""
        self._take_lock()
        self._clean_leftovers()
        self.logs.mkdir(parents=True, exist_ok=True)
        for old in self.logs.glob("*.log"):
            old.unlink()
        # Durable: fsync and synchronous_commit on, as in production (the test suite's PostgreSQL is not).
        self.admin_url = ls.start_postgres(self.pg_dir, free_port())
        self.pg_started = True
        for name in ("ats", "crm", "gateway", "bare"):
            ls.create_database(self.admin_url, f"bench_{name}", fresh=True)
            self.db_urls[name] = ls.db_url(self.admin_url, f"bench_{name}")
        kafka_port, controller_port = free_port(), free_port()
        while controller_port == kafka_port:
            controller_port = free_port()
        # the broker's full JIT, as in production (tests and `make run` start it with C1 only, for a quick start)
        self.kafka = ls.start_kafka(self.kafka_dir, kafka_port, controller_port, ls.fetch_kafka(self.repo), steady=True)
        self._record_children()
        self.bootstrap = f"127.0.0.1:{kafka_port}"
        for name in ("ats", "crm", "gateway"):
            sdir, prefix, _ = SERVICES[name]
            ls.migrate(self.repo, sdir, self.db_urls[name], prefix)
        log("databases migrated")
        class Sink:  # the CRM may send mail: it lands here and is dropped
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                return "250 OK"

        self.smtp = Controller(Sink(), hostname="127.0.0.1", port=free_port())
        self.smtp.start()
        ports = {name: free_port() for name in ("ats", "crm", "gateway", "bare", "floor")}
        while len(set(ports.values())) < len(ports):
            ports = {name: free_port() for name in ports}
        common = {"KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, "TALENT_ADMIN_API_KEY": self.admin_key,
                  "TALENT_GATEWAY_API_KEY": self.gateway_key, "TALENT_ENVIRONMENT": "development",
                  "PYTHONUNBUFFERED": "1"}
        envs = {
            "ats": {"ATS_DATABASE_URL": self.db_urls["ats"]},
            "crm": {"CRM_DATABASE_URL": self.db_urls["crm"], "CRM_SMTP_HOST": "127.0.0.1",
                    "CRM_SMTP_PORT": str(self.smtp.port), "CRM_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['crm']}"},
            "gateway": {"GATEWAY_DATABASE_URL": self.db_urls["gateway"], "GATEWAY_ATS_URL": f"http://127.0.0.1:{ports['ats']}",
                        "GATEWAY_CRM_URL": f"http://127.0.0.1:{ports['crm']}", "GATEWAY_CONSUMER_GROUP": "sync-gateway"},
            "bare": {"BENCH_BARE_DATABASE_URL": self.db_urls["bare"],
                     "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH_DIR.parent), os.environ.get("PYTHONPATH")]))},
        }
        envs["floor"] = envs["bare"]  # the framework floor reads the bare app's table
        factories = {name: SERVICES[name][2] for name in ("ats", "crm", "gateway")} | {"bare": "bench.bare_app:create_app",
                                                                                    "floor": "bench.floor_app:create_app"}
        for name, port in ports.items():
            self.procs[name] = ServiceProcess(factory=factories[name], port=port, env={**common, **envs[name]},
                                              log_path=self.logs / f"{name}.log", bin_dir=ls.venv_bin())
        for name in ("ats", "crm", "bare", "floor", "gateway"):  # the floor after the bare app made its table
            self.procs[name].start(timeout=90)
            self._record_children()
            log(f"{name} ready on {self.procs[name].url}")

    def start_gateway(self) -> float:
        """(Re)start the gateway process and wait for /readyz; returns the wall-clock time it answered."""
        if self.procs["gateway"].proc is None or self.procs["gateway"].proc.poll() is not None:
            self.procs["gateway"].start(timeout=90)
            self._record_children()
        return time.time()

    def stop_gateway(self) -> None:
        self.procs["gateway"].stop()

    def pids(self) -> list[int]:
        """Every process of the stack running now (services, Kafka, PostgreSQL and its backends)."""
        from .cpu import postgres_pids

        running = [p.proc.pid for p in self.procs.values() if p.proc is not None and p.proc.poll() is None]
        return running + ([self.kafka.pid] if self.kafka else []) + (postgres_pids(self.pg_dir) if self.pg_started else [])

    def gateway_env(self) -> dict[str, str]:
        """The gateway service's environment (for its CLI)."""
        return {**os.environ, **self.procs["gateway"].env}

    # -------------------------------------------------------------------------------------------- stop
    def close(self) -> None:
        """Stop everything this stack started, in reverse order; never raises."""
        for name in ("gateway", "floor", "bare", "crm", "ats"):
            proc = self.procs.get(name)
            if proc is not None:
                with contextlib.suppress(Exception):
                    proc.stop()
        if self.smtp is not None:
            with contextlib.suppress(Exception):
                self.smtp.stop()
        with contextlib.suppress(Exception):
            ls.stop_kafka(self.kafka)
        if self.pg_started:
            with contextlib.suppress(Exception):
                ls.stop_postgres(self.pg_dir)
        (self.run_dir / "children.pids").unlink(missing_ok=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)  # data of one run only; the logs stay
        log("stack stopped")

    def _record_children(self) -> None:
        pids = [p.proc.pid for p in self.procs.values() if p.proc is not None] + ([self.kafka.pid] if self.kafka else [])
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "children.pids").write_text("".join(f"{p}\n" for p in pids))

    def _take_lock(self) -> None:
        lock_path = self.repo / ".local" / "bench" / "bench.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(lock_path, "w")  # noqa: SIM115 - held for the whole run, released by the kernel on exit
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit("another `make bench` is running in this checkout") from None

    def _clean_leftovers(self) -> None:
        """A bench that was SIGKILLed left its processes and data behind: stop them before starting afresh."""
        ls._stop_children(self.run_dir)  # the pids it recorded (checked against their command line)
        ls.stop_stale_kafka(self.kafka_dir)
        ls.stop_postgres(self.pg_dir)
        shutil.rmtree(self.run_dir, ignore_errors=True)
