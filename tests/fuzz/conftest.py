"""The three services as real processes on fresh databases, for the property-based fuzz of their OpenAPI
documents: the gateway talks to this ATS and CRM; nothing sends mail or webhooks off this machine."""
from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from talent_dev.pytest_plugin import TalentStack
from talent_dev.testing import ServiceProcess, free_port, start_all


@dataclass(frozen=True)
class FuzzStack:
    ats: ServiceProcess
    crm: ServiceProcess
    gateway: ServiceProcess
    admin: dict[str, str]


@pytest.fixture(scope="session")
def fuzz_stack(talent_stack: TalentStack) -> Iterator[FuzzStack]:
    """ATS, CRM and gateway processes, each on a fresh migrated database (logs: `.local/test-logs/fuzz-*.log`)."""
    log_dir = talent_stack.repo_root / ".local" / "test-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    urls, names = {}, []
    for service_dir, prefix in (("ats-service", "ATS_"), ("crm-service", "CRM_"), ("sync-gateway", "GATEWAY_")):
        # a copy of the session's migrated template (a migration each would take seconds)
        names.append(f"fuzz_{prefix.lower().rstrip('_')}_{uuid.uuid4().hex[:6]}")
        urls[prefix] = talent_stack.templates.copy(service_dir, names[-1])
    admin = f"fuzz-admin-{secrets.token_hex(8)}"
    nobody = str(free_port())  # mail goes nowhere: a refused connection is a send to retry, never the request's failure
    common = {"KAFKA_BOOTSTRAP_SERVERS": talent_stack.kafka_bootstrap, "TALENT_ADMIN_API_KEY": admin,
              "TALENT_GATEWAY_API_KEY": f"fuzz-gateway-{secrets.token_hex(8)}", "TALENT_ENVIRONMENT": "development"}

    def process(factory: str, name: str, env: dict[str, str]) -> ServiceProcess:
        (log_dir / f"fuzz-{name}.log").write_bytes(b"")
        return ServiceProcess(factory=factory, port=free_port(), bin_dir=talent_stack.venv_bin, env={**common, **env},
                              log_path=log_dir / f"fuzz-{name}.log")
    ats = process("ats.main:create_app", "ats", {"ATS_DATABASE_URL": urls["ATS_"], "ATS_SMTP_PORT": nobody})
    crm = process("crm.main:create_app", "crm", {"CRM_DATABASE_URL": urls["CRM_"], "CRM_SMTP_PORT": nobody})
    # The gateway's consumer stays off (the session's topics carry every other suite's events); its webhook
    # workers too: the endpoints the fuzz creates are checked, pinged (loopback only), never fed events.
    gateway = process("sync_gateway.main:create_app", "gateway", {
        "GATEWAY_DATABASE_URL": urls["GATEWAY_"], "GATEWAY_ATS_URL": ats.url, "GATEWAY_CRM_URL": crm.url,
        "GATEWAY_CONSUMER_ENABLED": "false", "GATEWAY_WEBHOOKS_ENABLED": "false"})
    start_all([ats, crm, gateway])  # side by side: their start-ups overlap
    try:
        yield FuzzStack(ats, crm, gateway, {"Authorization": f"Bearer {admin}"})
    finally:
        for proc in (gateway, crm, ats):
            proc.stop()
        for name in names:
            talent_stack.templates.drop(name)
