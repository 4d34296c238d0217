"""What every business flow works with: both peers, the profile sync (to link a person on the fly) and the CRM
timeline entry a flow leaves."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter
from shared_schemas.envelope import EventEnvelope

from sync_gateway.clients.peer import PeerClient
from sync_gateway.profiles.service import ProfileSync

FLOWS = Counter("gateway_flows_total", "Business flows carried", ["flow"])
STAGE_RANK = {"applied": 0, "screen": 1, "interview": 2, "offer": 3, "hired": 4}
SETTLED = (404, 409, 410, 422)  # answers to a merge or erasure that end the flow (anything else: retry or dead letter)


def side_of(event: EventEnvelope) -> str:
    """`ats` or `crm`: where the event happened."""
    return "ats" if event.type.startswith("ats.") else "crm"


@dataclass(frozen=True)
class FlowContext:
    """The peers and the profile sync, shared by every flow."""

    ats: PeerClient
    crm: PeerClient
    profiles: ProfileSync
    silver_min_rank: int = STAGE_RANK["interview"]

    def client(self, side: str) -> PeerClient:
        """The client of one side."""
        return self.ats if side == "ats" else self.crm

    async def tell_crm(self, event: EventEnvelope, prospect_id: uuid.UUID, kind: str, application: dict[str, Any],
                       detail: str | None = None) -> None:
        """Put what happened in the ATS on the prospect's CRM timeline (applied, hired, rejected, withdrawn)."""
        await self.crm.post(f"/v1/prospects/{prospect_id}/status-events",
                            {"kind": kind, "job_id": str(application["job_id"]), "application_id": str(application["id"]),
                             "occurred_at": event.time.isoformat(), **({"detail": detail} if detail else {})},
                            idempotency_key=f"sync-gateway:{event.id}:status-{kind}", causation_id=event.id,
                            allow=(410,))  # an erased prospect hears of nothing any more
