"""The local stack: embedded PostgreSQL, a single-node KRaft Kafka, migrations and the three services.

Library (used by `talent_dev.pytest_plugin` and `talent_dev.testing`) and CLI::

    python -m talent_dev.localstack run     # whole dev stack in the foreground (make run)
    python -m talent_dev.localstack infra   # PostgreSQL + Kafka + databases + migrations only
    python -m talent_dev.localstack stop    # stop a running `run`/`infra` (make stop)

Only the standard library is imported at module level; aiokafka/httpx are imported where used.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from talent_dev.supervisor import Supervisor

PG_SYSTEM_USER = "embedded_postgres"
RUN_PORTS = {"postgres": 54320, "kafka": 9092, "kafka_controller": 9093, "smtp": 2525}
SERVICES: tuple[tuple[str, str, str, str, int], ...] = (
    # (name, service dir, env prefix / database, uvicorn factory, port)
    ("ats", "ats-service", "ATS_", "ats.main:create_app", 8001),
    ("crm", "crm-service", "CRM_", "crm.main:create_app", 8002),
    ("gateway", "sync-gateway", "GATEWAY_", "sync_gateway.main:create_app", 8003),
)
DB_ENV = {"ats": "ATS_DATABASE_URL", "crm": "CRM_DATABASE_URL", "gateway": "GATEWAY_DATABASE_URL"}
_DB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class StackError(RuntimeError):
    """A component of the local stack failed to start."""


def log(msg: str) -> None:
    print(f"[localstack] {msg}", flush=True)


# ---------------------------------------------------------------------------------------------- helpers
def uvicorn_argv(factory: str, port: int, host: str = "127.0.0.1", bin_dir: Path | None = None,
                 workers: int = 1) -> list[str]:
    """The command that serves one service (and the bench's bare baseline, so both run on the same server): uvloop
    and the httptools parser, `workers` processes. uvicorn's own proxy-header handling is off (it trusts 127.0.0.1 by
    default): the app believes X-Forwarded-For only from `TALENT_TRUSTED_PROXIES`. Idle keep-alive connections are kept
    75 s, longer than any client pools them (httpx: 5 s), so a client never reuses a connection the server is just
    closing (uvicorn's default is also 5 s: under load that race answered requests with a dropped connection)."""
    return [str((bin_dir or venv_bin()) / "uvicorn"), "--factory", factory, "--host", host, "--port", str(port),
            "--loop", "uvloop", "--http", "httptools", "--workers", str(workers), "--no-proxy-headers", "--timeout-keep-alive", "75"]


def workers_for(prefix: str, env: Mapping[str, str] | None = None) -> int:
    """Worker processes of one service: `<PREFIX>_WORKERS` (e.g. `ATS_WORKERS`), else `WEB_CONCURRENCY`, else 1."""
    env = os.environ if env is None else env
    raw = env.get(f"{prefix}WORKERS") or env.get("WEB_CONCURRENCY") or "1"
    try:
        workers = int(raw)
    except ValueError:
        raise StackError(f"{prefix}WORKERS / WEB_CONCURRENCY must be a whole number of processes, not {raw!r}") from None
    if workers < 1:
        raise StackError(f"{prefix}WORKERS / WEB_CONCURRENCY must be at least 1, not {workers}")
    return workers


def multiprocess_metrics_env(directory: Path, workers: int) -> dict[str, str]:
    """With several workers, each keeps its metrics in files under `directory` (emptied now) and /metrics adds
    them up (prometheus_client's multiprocess mode); one worker needs nothing."""
    if workers <= 1:
        return {}
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return {"PROMETHEUS_MULTIPROC_DIR": str(directory)}


def repo_root() -> Path:
    """The monorepo root: the first parent of the cwd holding shared-schemas/, else relative to this file."""
    for base in (Path.cwd(), *Path.cwd().parents):
        if (base / "shared-schemas" / "pyproject.toml").is_file():
            return base
    return Path(__file__).resolve().parents[4]  # deploy/talent-dev/src/talent_dev/localstack.py


def venv_bin() -> Path:
    """The bin dir of the running interpreter (not resolved: a venv's python is a symlink)."""
    return Path(sys.executable).parent


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def run_coro(coro_fn: Callable[[], Any]) -> Any:
    """asyncio.run(coro_fn()), in a helper thread when an event loop is already running here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro_fn())
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro_fn())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _pid_alive(pid: int, needle: str | None = None) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    if needle is None:
        return True
    try:  # guard against pid reuse
        return needle in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return True


def _terminate_pid(pid: int, timeout: float = 20.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# ---------------------------------------------------------------------------------------------- PostgreSQL
def _pg_bin() -> Path:
    import warnings

    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        # lazy: the `local` extra
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _pg_user_kwargs(paths: Sequence[Path]) -> dict[str, Any]:
    """PostgreSQL refuses to run as root: run it as a system user owning `paths`."""
    if os.geteuid() != 0:
        return {}
    import pwd

    try:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "-r", "-s", "/bin/bash", PG_SYSTEM_USER], check=True, capture_output=True, text=True)
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    for p in paths:
        if p.exists():
            os.chown(p, entry.pw_uid, entry.pw_gid)
            for parent in p.resolve().parents:  # parents must be traversable
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": [], "cwd": "/"}


def _chown_tree(path: Path, kwargs: dict[str, Any]) -> None:
    if not kwargs:
        return
    for root, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            os.lchown(os.path.join(root, name), kwargs["user"], kwargs["group"])
    os.chown(path, kwargs["user"], kwargs["group"])


def _pg_running_port(data_dir: Path) -> int | None:
    """Port of a live postmaster on data_dir, else None."""
    pid_file = data_dir / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    return port if _pid_alive(pid, "postgres") else None


def start_postgres(data_dir: Path, port: int, *, fast: bool = False) -> str:
    """Start (initdb on first use) PostgreSQL on 127.0.0.1:port; reuse it when already running on data_dir."""
    data_dir = Path(data_dir).absolute()
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    running = _pg_running_port(data_dir)
    if running == port:
        log(f"PostgreSQL already running on 127.0.0.1:{port} ({data_dir})")
        return url
    if running is not None:
        stop_postgres(data_dir)
    bin_dir = _pg_bin()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    logfile = data_dir.parent / "postgres.log"
    logfile.touch()
    t0 = time.monotonic()
    if not (data_dir / "PG_VERSION").is_file():
        if data_dir.exists():
            shutil.rmtree(data_dir)
        data_dir.mkdir(mode=0o700)
        kw = _pg_user_kwargs([data_dir, logfile])
        proc = subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data_dir), "--auth=trust", "-U", "postgres", "-E", "UTF8",
             "--locale=C", "--no-instructions", *(["--no-sync"] if fast else [])],
            check=False, capture_output=True, text=True, **kw,
        )
        if proc.returncode != 0:
            raise StackError(f"initdb failed:\n{proc.stdout}\n{proc.stderr}")
        with open(data_dir / "postgresql.conf", "a") as f:
            f.write("\ninclude_if_exists = 'talentkit.conf'\n")
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "port": str(port),
        "max_connections": "300",
        "shared_buffers": "128MB",
        "unix_socket_directories": "''",  # TCP only: no /var/run/postgresql needed
    }
    if os.environ.get("TALENT_PG_STAT_STATEMENTS"):  # for profiling: which statements (and triggers) cost what
        settings |= {"shared_preload_libraries": "'pg_stat_statements'", "pg_stat_statements.track": "all"}
    if fast:
        settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
    (data_dir / "talentkit.conf").write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))
    kw = _pg_user_kwargs([data_dir, logfile])
    _chown_tree(data_dir, kw)
    proc = subprocess.run(
        [str(bin_dir / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(data_dir), "-l", str(logfile)],
        check=False, capture_output=True, text=True, **kw,
    )
    if proc.returncode != 0:
        raise StackError(f"pg_ctl start failed:\n{proc.stdout}\n{proc.stderr}\n--- {logfile}:\n{tail(logfile)}")
    log(f"PostgreSQL up on 127.0.0.1:{port} in {time.monotonic() - t0:.1f}s (log: {logfile})")
    return url


def stop_postgres(data_dir: Path) -> None:
    """pg_ctl stop -m fast; nothing happens when it is not running."""
    data_dir = Path(data_dir).absolute()
    if _pg_running_port(data_dir) is None:
        return
    kw = _pg_user_kwargs([])
    subprocess.run([str(_pg_bin() / "pg_ctl"), "stop", "-m", "fast", "-w", "-t", "60", "-D", str(data_dir)],
                   check=False, capture_output=True, text=True, **kw)
    log(f"PostgreSQL stopped ({data_dir})")


def create_database(admin_url: str, name: str, *, fresh: bool = False) -> None:
    """Create database `name` if missing; with fresh=True drop it first (kicking out connections)."""
    if not _DB_NAME.match(name):
        raise ValueError(f"bad database name {name!r}")
    admin_url = admin_url.replace("postgresql+asyncpg://", "postgresql://")

    async def go() -> None:
        import asyncpg

        conn = await asyncpg.connect(admin_url)
        try:
            if fresh:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            elif await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                return
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    run_coro(go)


def db_url(admin_url: str, name: str, *, driver: str = "postgresql+asyncpg") -> str:
    """The URL of database `name` on the server of `admin_url`."""
    rest = admin_url.split("://", 1)[1]
    return f"{driver}://{rest.rsplit('/', 1)[0]}/{name}"


# ---------------------------------------------------------------------------------------------- Kafka
def fetch_kafka(repo: Path) -> Path:
    """Copy the Kafka broker jars from Maven Central into <repo>/.local/kafka/libs once."""
    libs = (Path(repo) / ".local" / "kafka" / "libs").absolute()
    if glob.glob(str(libs / "kafka_2.13-*.jar")):
        return libs
    log("fetching Kafka jars with mvn (once)")
    subprocess.run(
        ["mvn", "-q", "-B", "-f", str(Path(repo) / "deploy" / "kafka" / "pom.xml"), "dependency:copy-dependencies",
         f"-DoutputDirectory={libs}", "-DincludeScope=runtime"],
        check=True,
    )
    return libs


def _kafka_cluster_id() -> str:
    while True:  # Kafka's Uuid: url-safe base64 of 16 bytes, unpadded; a leading '-' would read as a CLI flag
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _log4j_config(data_dir: Path) -> Path:
    shipped = repo_root() / "deploy" / "kafka" / "log4j2.properties"
    if shipped.is_file():
        return shipped
    fallback = data_dir / "log4j2.properties"  # installed outside the repo: a minimal equivalent
    fallback.write_text(
        "status = warn\nappender.f.type = File\nappender.f.name = F\n"
        "appender.f.fileName = ${sys:kafka.logs.dir}/server.log\n"
        "appender.f.layout.type = PatternLayout\nappender.f.layout.pattern = [%d] %p %m (%c)%n\n"
        "rootLogger.level = WARN\nrootLogger.appenderRef.f.ref = F\n"
    )
    return fallback


def _kafka_ready(bootstrap: str, timeout: float = 5.0) -> bool:
    async def go() -> bool:
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000),
                                    metadata_max_age_ms=1000)
        try:
            await asyncio.wait_for(producer.start(), timeout)
            await asyncio.wait_for(producer.send_and_wait("__talent_ready", b"ping"), timeout * 2)
            return True
        except Exception:  # noqa: BLE001 - not ready yet
            return False
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), timeout)

    import logging

    quiet = logging.getLogger("aiokafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # "topic not found", "not leader" while the broker settles
    try:
        return bool(run_coro(go))
    finally:
        quiet.setLevel(level)


def start_kafka(data_dir: Path, port: int, controller_port: int, libs: Path,
                *, ready_timeout: float = 60.0, steady: bool = False) -> subprocess.Popen:
    """Single-node KRaft (combined broker+controller) on 127.0.0.1:port; returns once a producer can send.
    `steady`: the JVM's full JIT, as a production broker runs (the bench): slower to start, cheaper per message."""
    data_dir = Path(data_dir).absolute()
    data_dir.mkdir(parents=True, exist_ok=True)
    if port_in_use(port) or port_in_use(controller_port):
        raise StackError(f"port {port} or {controller_port} is already in use (another Kafka running? `make stop`)")
    logs_dir = data_dir / "kafka-data"
    props = data_dir / "server.properties"
    props.write_text("\n".join([
        "node.id=1",
        "process.roles=broker,controller",
        f"controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}",
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        f"log.dirs={logs_dir}",
        "num.partitions=3",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=10",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "transaction.state.log.num.partitions=10",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "min.insync.replicas=1",
        "auto.create.topics.enable=true",
        "group.initial.rebalance.delay.ms=0",
        "",
    ]))
    # SerialGC + C1 only: half the start-up time on 2 cores, plenty for a dev/test broker
    java = [shutil.which("java") or "java", "-Xms256m", "-Xmx512m", "-XX:+UseSerialGC",
            *(() if steady else ("-XX:TieredStopAtLevel=1",)), "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={data_dir}", f"-Dlog4j2.configurationFile={_log4j_config(data_dir)}",
            "-cp", f"{Path(libs).absolute()}/*"]
    out = data_dir / "kafka.out"
    t0 = time.monotonic()
    if not (logs_dir / "meta.properties").is_file():
        fmt = subprocess.run([*java, "kafka.tools.StorageTool", "format", "--standalone", "-t", _kafka_cluster_id(),
                              "-c", str(props)], check=False, capture_output=True, text=True)
        if fmt.returncode != 0:
            raise StackError(f"kafka storage format failed:\n{fmt.stdout}\n{fmt.stderr}")
    with open(out, "ab") as fh:
        proc = subprocess.Popen([*java, "kafka.Kafka", str(props)], stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    (data_dir / "kafka.pid").write_text(str(proc.pid))
    bootstrap = f"127.0.0.1:{port}"
    deadline = t0 + ready_timeout
    while True:
        if proc.poll() is not None:
            raise StackError(f"Kafka exited with {proc.returncode}:\n{tail(out)}\n--- server.log:\n"
                             f"{tail(data_dir / 'server.log')}")
        if port_in_use(port) and _kafka_ready(bootstrap):
            break
        if time.monotonic() > deadline:
            stop_kafka(proc)
            raise StackError(f"Kafka not ready after {ready_timeout:.0f}s:\n{tail(out)}\n--- server.log:\n"
                             f"{tail(data_dir / 'server.log')}")
        time.sleep(0.5)
    log(f"Kafka up on {bootstrap} in {time.monotonic() - t0:.1f}s (log: {data_dir / 'server.log'})")
    return proc


def stop_kafka(proc: subprocess.Popen | None) -> None:
    """SIGTERM, wait 20 s, then SIGKILL."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log("Kafka stopped")


def stop_stale_kafka(data_dir: Path) -> None:
    """Kill a Kafka left behind on data_dir (its kafka.pid) by a process that died without cleaning up."""
    pid_file = Path(data_dir) / "kafka.pid"
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return
    if _pid_alive(pid, "kafka.Kafka"):
        _terminate_pid(pid)
    pid_file.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------- services
def migrate(repo: Path, service_dir: str, database_url: str, env_prefix: str, *, bin_dir: Path | None = None) -> None:
    """alembic -c <repo>/<service_dir>/alembic.ini upgrade head, with <env_prefix>DATABASE_URL set."""
    ini = (Path(repo) / service_dir / "alembic.ini").absolute()
    if not ini.is_file():
        raise FileNotFoundError(f"{ini} does not exist")
    env = {**os.environ, f"{env_prefix}DATABASE_URL": database_url}
    proc = subprocess.run([str((bin_dir or venv_bin()) / "alembic"), "-c", str(ini), "upgrade", "head"],
                          cwd=ini.parent, env=env, check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        raise StackError(f"alembic upgrade failed for {service_dir}:\n{proc.stdout}\n{proc.stderr}")


def wait_http_ok(url: str, timeout: float, proc: subprocess.Popen | None = None, logfile: Path | None = None) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StackError(f"{url}: process exited with {proc.returncode}; see {logfile}:\n"
                             f"{tail(logfile) if logfile else ''}")
        try:
            r = httpx.get(url, timeout=2.0)
            if r.status_code == 200:
                return
            last = f"HTTP {r.status_code}: {r.text[:200]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.5)
    raise StackError(f"{url} not ready after {timeout:.0f}s ({last}); see {logfile}")


DEMO_CANDIDATES = [
    {"first_name": "Ada", "last_name": "Lovelace", "emails": ["ada.lovelace@example.com"], "phones": ["+44 20 7946 0001"],
     "location": "London, UK", "headline": "Staff Engineer, compilers", "tags": ["python", "compilers"],
     "source": "referral"},
    {"first_name": "Grace", "last_name": "Hopper", "emails": ["grace.hopper@example.com"], "phones": [],
     "location": "Arlington, VA", "headline": "Engineering Manager", "tags": ["leadership", "cobol"],
     "source": "career site"},
    {"first_name": "Alan", "last_name": "Turing", "emails": ["alan.turing@example.com"], "phones": ["+44 161 496 0002"],
     "location": "Manchester, UK", "headline": "ML Researcher", "tags": ["ml", "math"], "source": "linkedin"},
]
DEMO_PROSPECTS = [
    {"first_name": "Ada", "last_name": "Lovelace", "emails": ["ada.lovelace@example.com"], "phones": [],
     "location": "London, UK", "headline": "Compiler engineer", "tags": ["python", "silver-medalist"],
     "source": "sourced"},  # shares an email with a candidate: the gateway links them
    {"first_name": "Katherine", "last_name": "Johnson", "emails": ["katherine.johnson@example.com"], "phones": [],
     "location": "Hampton, VA", "headline": "Data Scientist", "tags": ["math", "data"], "source": "event"},
    {"first_name": "Margaret", "last_name": "Hamilton", "emails": ["margaret.hamilton@example.com"],
     "phones": ["+1 617 555 0103"], "location": "Boston, MA", "headline": "Principal Software Engineer",
     "tags": ["reliability"], "source": "talent_community"},
]


def load_demo_data(ats_url: str, crm_url: str, admin_key: str) -> dict[str, int]:
    """POST 3 candidates to the ATS and 3 prospects to the CRM; idempotent (Idempotency-Key, 409 ignored)."""
    import httpx

    counts = {"created": 0, "existing": 0, "failed": 0}
    headers = {"Authorization": f"Bearer {admin_key}"}
    with httpx.Client(timeout=15.0, headers=headers) as client:
        for base, path, kind, records in ((ats_url, "/v1/candidates", "candidate", DEMO_CANDIDATES),
                                          (crm_url, "/v1/prospects", "prospect", DEMO_PROSPECTS)):
            for i, body in enumerate(records, 1):
                try:
                    r = client.post(f"{base.rstrip('/')}{path}", json=body,
                                    headers={"Idempotency-Key": f"demo-{kind}-{i}"})
                except httpx.HTTPError as exc:
                    log(f"demo {kind} {i}: {exc!r}")
                    counts["failed"] += 1
                    continue
                if r.status_code == 409 or (r.is_success and r.headers.get("Idempotent-Replayed")):
                    counts["existing"] += 1
                elif r.is_success:
                    counts["created"] += 1
                else:
                    log(f"demo {kind} {i}: HTTP {r.status_code} {r.text[:300]}")
                    counts["failed"] += 1
    return counts


# ---------------------------------------------------------------------------------------------- CLI
class _Shutdown(Exception):
    pass


def _raise_shutdown(signum: int, _frame: Any) -> None:
    raise _Shutdown(signal.Signals(signum).name)


class _Stack:
    """What `run`/`infra` started, torn down in reverse order."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.run_dir = repo / ".local" / "run"
        self.pg_dir = self.run_dir / "postgres" / "data"
        self.kafka_dir = self.run_dir / "kafka"
        self.logs = self.run_dir / "logs"
        self.kafka: subprocess.Popen | None = None
        self.pg_started = False
        self.supervisor = Supervisor(log, on_start=lambda _child: self._record_children())
        self.db_urls: dict[str, str] = {}
        self.bootstrap = ""
        self.mail_dir = self.run_dir / "mail"
        self.mail: Any = None

    def _record_children(self) -> None:
        pids = [c.proc.pid for c in self.supervisor.children if c.proc] + ([self.kafka.pid] if self.kafka else [])
        (self.run_dir / "children.pids").write_text("".join(f"{p}\n" for p in pids))

    def infra(self) -> None:
        if all(os.environ.get(v) for v in DB_ENV.values()):
            self.db_urls = {db: os.environ[v] for db, v in DB_ENV.items()}
            log("using the external databases from *_DATABASE_URL")
        else:
            if _pg_running_port(self.pg_dir) is None and port_in_use(RUN_PORTS["postgres"]):
                raise StackError(f"port {RUN_PORTS['postgres']} is in use by something else")
            admin = start_postgres(self.pg_dir, RUN_PORTS["postgres"])
            self.pg_started = True
            for db in DB_ENV:
                create_database(admin, db)
                self.db_urls[db] = db_url(admin, db)
            log("databases ats, crm, gateway ready")
        if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            self.bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
            log(f"using the external Kafka at {self.bootstrap}")
        else:
            self.kafka = start_kafka(self.kafka_dir, RUN_PORTS["kafka"], RUN_PORTS["kafka_controller"],
                                     fetch_kafka(self.repo))
            self.bootstrap = f"127.0.0.1:{RUN_PORTS['kafka']}"
            self._record_children()
        for name, sdir, prefix, _, _ in SERVICES:
            if not (self.repo / sdir / "alembic.ini").is_file():
                log(f"WARNING: {sdir}/alembic.ini missing; migrations for {name} skipped")
                continue
            t0 = time.monotonic()
            migrate(self.repo, sdir, self.db_urls[name], prefix)
            log(f"migrated {name} ({time.monotonic() - t0:.1f}s)")

    def service_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({DB_ENV[db]: url for db, url in self.db_urls.items()})
        env.update({
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "TALENT_ADMIN_API_KEY": os.environ.get("TALENT_ADMIN_API_KEY", "dev-admin-key"),
            "TALENT_GATEWAY_API_KEY": os.environ.get("TALENT_GATEWAY_API_KEY", "dev-gateway-key"),
            "GATEWAY_ATS_URL": "http://127.0.0.1:8001",
            "GATEWAY_CRM_URL": "http://127.0.0.1:8002",
            "CRM_SMTP_HOST": "127.0.0.1",
            "CRM_SMTP_PORT": str(RUN_PORTS["smtp"]),
            "CRM_PUBLIC_BASE_URL": "http://127.0.0.1:8002",
            "ATS_SMTP_HOST": "127.0.0.1",
            "ATS_SMTP_PORT": str(RUN_PORTS["smtp"]),
            "ATS_PUBLIC_BASE_URL": "http://127.0.0.1:8001",
            "TALENT_ENVIRONMENT": os.environ.get("TALENT_ENVIRONMENT", "development"),
            # a webhook receiver on this machine is part of local development
            "GATEWAY_WEBHOOKS_DESTINATIONS": os.environ.get("GATEWAY_WEBHOOKS_DESTINATIONS", "public_and_loopback"),
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def start_mail_sink(self) -> None:
        """A local SMTP server that keeps every message the CRM sends as an .eml file (nothing leaves the machine)."""
        from aiosmtpd.controller import Controller

        mail_dir = self.mail_dir
        mail_dir.mkdir(parents=True, exist_ok=True)

        class Sink:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
                (mail_dir / name).write_bytes(envelope.original_content or envelope.content)
                return "250 kept"

        self.mail = Controller(Sink(), hostname="127.0.0.1", port=RUN_PORTS["smtp"])
        self.mail.start()
        log(f"mail sink on smtp://127.0.0.1:{RUN_PORTS['smtp']}, messages in {mail_dir}/*.eml")

    def start_services(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        busy = [port for *_, port in SERVICES if port_in_use(port)]
        if busy:
            raise StackError(f"ports already in use: {busy} (another `make run`? try `make stop`)")
        env = self.service_env()
        for name, sdir, prefix, factory, port in SERVICES:
            logfile = self.logs / f"{name}.log"
            workers = workers_for(prefix, env)
            service_env = {**env, **multiprocess_metrics_env(self.run_dir / "metrics" / name, workers)}

            def launch(name: str = name, sdir: str = sdir, factory: str = factory, port: int = port,
                       workers: int = workers, service_env: dict[str, str] = service_env,
                       logfile: Path = logfile) -> subprocess.Popen:
                with open(logfile, "ab") as fh:
                    fh.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} starting {name} =====\n".encode())
                    fh.flush()
                    return subprocess.Popen(
                        uvicorn_argv(factory, port, workers=workers), cwd=self.repo / sdir, env=service_env,
                        stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
            child = self.supervisor.add(name, launch)
            log(f"started {name} on :{port} ({workers} worker(s), pid {child.proc.pid}, log: {logfile})")  # type: ignore[union-attr]
        for child, (*_, port) in zip(self.supervisor.children, SERVICES):
            wait_http_ok(f"http://127.0.0.1:{port}/readyz", 90, child.proc, self.logs / f"{child.name}.log")
            log(f"{child.name} ready")

    def watch(self) -> None:
        """Foreground until a signal arrives: a service that dies is restarted with backoff (the supervisor says
        so), the others keep running; Kafka is started again on its data when it dies."""
        while True:
            self.supervisor.check()
            if self.kafka is not None and self.kafka.poll() is not None:
                log(f"Kafka exited with {self.kafka.returncode}; starting it again on its data "
                    f"(see {self.kafka_dir / 'server.log'}); the services reconnect by themselves")
                self.kafka = start_kafka(self.kafka_dir, RUN_PORTS["kafka"], RUN_PORTS["kafka_controller"],
                                         fetch_kafka(self.repo))
                self._record_children()
                log("Kafka restarted")
            time.sleep(0.5)

    def teardown(self) -> None:
        self.supervisor.stop_all()
        if self.mail is not None:
            self.mail.stop()
        stop_kafka(self.kafka)
        if self.pg_started:
            stop_postgres(self.pg_dir)
        (self.run_dir / "children.pids").unlink(missing_ok=True)
        (self.run_dir / "run.pid").unlink(missing_ok=True)


def _banner(stack: _Stack, elapsed: float, admin_key: str, demo: dict[str, int] | None, services: bool) -> str:
    lines = ["", "=" * 72, f"  Talent stack ready in {elapsed:.1f}s", "=" * 72]
    if services:
        for name, _, _, _, port in SERVICES:
            lines.append(f"  {name:<8} http://127.0.0.1:{port}   docs: http://127.0.0.1:{port}/docs")
        lines.append(f"  admin key:   {admin_key}   (Authorization: Bearer {admin_key})")
        if demo is not None:
            lines.append(f"  demo data:   {demo['created']} created, {demo['existing']} already there, "
                         f"{demo['failed']} failed")
    lines.append(f"  PostgreSQL:  {', '.join(f'{k}={v}' for k, v in stack.db_urls.items())}")
    lines.append(f"  Kafka:       {stack.bootstrap}")
    lines.append(f"  logs:        {stack.logs}/<svc>.log, {stack.pg_dir.parent}/postgres.log, "
                 f"{stack.kafka_dir}/server.log")
    if services:
        lines.append(f"  mail sent:   {stack.mail_dir}/*.eml (the CRM's SMTP relay is a local sink on :{RUN_PORTS['smtp']})")
    lines.append("  stop:        Ctrl-C here, or `make stop` from another shell")
    lines.append("=" * 72)
    return "\n".join(lines)


def cmd_run(services: bool = True) -> int:
    t0 = time.monotonic()
    repo = repo_root()
    stack = _Stack(repo)
    stack.run_dir.mkdir(parents=True, exist_ok=True)
    pid_file = stack.run_dir / "run.pid"
    try:
        other = int(pid_file.read_text())
        if other != os.getpid() and _pid_alive(other, "talent_dev.localstack"):
            log(f"already running (pid {other}); stop it with `make stop`")
            return 1
    except (OSError, ValueError):
        pass
    _stop_children(stack.run_dir)  # leftovers of a run that was SIGKILLed
    pid_file.write_text(str(os.getpid()))
    signal.signal(signal.SIGTERM, _raise_shutdown)
    signal.signal(signal.SIGINT, _raise_shutdown)
    if services:
        log(f"service logs go to {stack.logs}/<svc>.log")
    rc = 0
    try:
        stack.infra()
        demo = None
        admin_key = stack.service_env()["TALENT_ADMIN_API_KEY"]
        if services:
            stack.start_mail_sink()
            stack.start_services()
            demo = load_demo_data("http://127.0.0.1:8001", "http://127.0.0.1:8002", admin_key)
        print(_banner(stack, time.monotonic() - t0, admin_key, demo, services), flush=True)
        stack.watch()
    except _Shutdown as sig:
        log(f"{sig}: shutting down")
    except (StackError, FileNotFoundError, subprocess.CalledProcessError) as exc:
        log(f"ERROR: {exc}")
        rc = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.teardown()
    return rc


def _stop_children(run_dir: Path) -> None:
    try:
        pids = [int(x) for x in (run_dir / "children.pids").read_text().split()]
    except (OSError, ValueError):
        pids = []
    for pid in pids:
        if _pid_alive(pid, "kafka.Kafka") or _pid_alive(pid, "uvicorn"):
            _terminate_pid(pid)
    (run_dir / "children.pids").unlink(missing_ok=True)


def cmd_stop() -> int:
    run_dir = repo_root() / ".local" / "run"
    pid_file = run_dir / "run.pid"
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        pid = None
    if pid is not None and _pid_alive(pid, "talent_dev.localstack"):
        log(f"stopping pid {pid}")
        _terminate_pid(pid, timeout=90)
    else:
        log("no running stack found")
    pid_file.unlink(missing_ok=True)
    _stop_children(run_dir)
    stop_postgres(run_dir / "postgres" / "data")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m talent_dev.localstack", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run", "stop", "infra"])
    args = parser.parse_args(argv)
    if args.command == "stop":
        return cmd_stop()
    return cmd_run(services=args.command == "run")


if __name__ == "__main__":
    sys.exit(main())
