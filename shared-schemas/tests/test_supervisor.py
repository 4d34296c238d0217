"""The local stack's supervisor (`make run`): a SIGKILLed service is restarted with backoff and the supervisor says
so, while the other services keep running untouched. Real processes throughout."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request

import pytest
from talent_dev.supervisor import Supervisor
from talent_dev.testing import free_port, wait_until_blocking


def serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.fixture
def stack(tmp_path):
    """Three small HTTP services under one supervisor (as `make run` runs the ATS, the CRM and the gateway)."""
    said: list[str] = []
    supervisor = Supervisor(said.append, base_delay=0.5)
    ports = {}
    for name in ("ats", "crm", "gateway"):
        ports[name] = port = free_port()
        supervisor.add(name, lambda port=port: subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=tmp_path,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        wait_until_blocking(lambda: all(serving(p) for p in ports.values()), 20, "every service serving")
        yield supervisor, ports, said
    finally:
        supervisor.stop_all(timeout=5)


def test_a_killed_service_is_restarted_with_a_message_and_the_others_are_untouched(stack):
    supervisor, ports, said = stack
    before = {c.name: c.proc.pid for c in supervisor.children}
    crm = next(c for c in supervisor.children if c.name == "crm")
    os.kill(crm.proc.pid, signal.SIGKILL)
    crm.proc.wait(5)

    def restarted() -> bool:
        supervisor.check()  # the stack's watch loop
        return crm.proc.pid != before["crm"] and serving(ports["crm"])
    wait_until_blocking(restarted, 20, "the crm restarted and serving")

    assert said[0].startswith("crm exited with signal 9 after ") and "restarting in 0s (restart 1)" in said[0], said
    assert said[1] == f"crm restarted (pid {crm.proc.pid}, restart 1)"
    assert crm.restarts == 1
    for child in supervisor.children:
        if child.name != "crm":  # the same processes, still serving
            assert child.proc.pid == before[child.name] and child.proc.poll() is None and child.restarts == 0
            assert serving(ports[child.name])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_restarts_back_off_exponentially_up_to_a_cap_and_reset_once_the_service_stays_up():
    clock, said = Clock(), []
    supervisor = Supervisor(said.append, base_delay=1, max_delay=4, stable_after=60, clock=clock)
    child = supervisor.add("crm", lambda: subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"]))
    delays = []
    for _ in range(4):
        child.proc.wait(10)
        supervisor.check()  # notices the exit
        delays.append(child.due_at - clock.now)
        clock.now = child.due_at - 0.01
        supervisor.check()
        assert child.due_at is not None  # not before its time
        clock.now = child.due_at
        supervisor.check()  # started again
    assert delays == [1, 2, 4, 4]  # doubling, capped
    assert said[0] == "crm exited with code 3 after 0s; restarting in 1s (restart 1); the others keep running"
    child.proc.wait(10)
    clock.now += 61  # it had stayed up for more than a minute: the next restart waits the base delay again
    supervisor.check()
    assert child.due_at - clock.now == 1
    assert child.restarts == 4
