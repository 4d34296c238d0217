"""The business flows between the pipeline (ATS) and nurture (CRM), DESIGN.md §3, one module each:
`push_to_job` (1), `applied` (2), `hired` (3), `rejected` (4, silver medalists), `job_opened` (5), `merged` (7),
`erased` (8), `resume` (9: resume text for the CRM's embeddings). Every write carries the gateway's origin and an idempotency key derived from the event, so a
replay is harmless."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from shared_schemas.envelope import EventEnvelope
from talentkit.auth import GATEWAY_PRINCIPAL

from sync_gateway.flows import (
    applied,
    erased,
    hired,
    job_opened,
    merged,
    push_to_job,
    rejected,
    resume,
)
from sync_gateway.flows.common import FlowContext
from sync_gateway.plan import Plan

Flow = Callable[[FlowContext, Plan, EventEnvelope], Awaitable[None]]
FLOW_MODULES = (push_to_job, applied, hired, rejected, job_opened, merged, erased, resume)


class BusinessFlows:
    """Routes each event to the flow that carries it."""

    def __init__(self, context: FlowContext) -> None:
        self.context = context
        self.flows: dict[str, Flow] = {t: module.carry for module in FLOW_MODULES for t in module.EVENTS}

    async def handle(self, plan: Plan, event: EventEnvelope) -> None:
        """Carry one event's flow (peer calls now, database writes through `plan`); our own echoes are dropped,
        except the applications we created (the `applied` flow decides)."""
        flow = self.flows.get(event.type)
        if flow is None or (event.origin == GATEWAY_PRINCIPAL and event.type != "ats.application.created.v1"):
            return
        await flow(self.context, plan, event)
