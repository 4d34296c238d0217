"""`/v1/audit-events`: query the trail; verify the chain."""
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.pagination import Page, page_query

from ats.audit import service
from ats.audit.schemas import AuditEventRead, VerificationRead

router = APIRouter(prefix="/v1/audit-events", tags=["Audit trail"])
Auditor = Annotated[RequestContext, Depends(require("ats:audit"))]
AuditPage = page_query(default_limit=100)


@router.get("", response_model=Page[AuditEventRead], summary="Query the audit trail")
async def list_audit_events(
    ctx: Auditor, uow: UoW, paging: AuditPage,  # type: ignore[valid-type]  # a dependency type page_query makes
    target_type: Annotated[str | None, Query(description="e.g. `candidate`, `application`, `job`.")] = None,
    target_id: Annotated[str | None, Query()] = None,
    actor: Annotated[str | None, Query(description="Principal id, e.g. `admin` or `key:careers-site`.")] = None,
    after: Annotated[datetime | None, Query(description="Only entries after this time.")] = None,
) -> dict[str, Any]:
    """Entries in the order they were written (oldest first), filtered with AND."""
    return await service.list_entries(uow=uow, paging=paging, target_type=target_type, target_id=target_id, actor=actor,
                                      after=after)


@router.get("/verify", response_model=VerificationRead, summary="Verify the audit chain")
async def verify_chain(ctx: Auditor, uow: UoW) -> VerificationRead:
    """Recompute every entry's hash from its content and its predecessor's hash; report the first broken link."""
    return VerificationRead(**vars(await service.verify_chain(uow=uow)))
