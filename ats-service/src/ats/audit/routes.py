"""`/v1/audit-events`: query the trail; verify the chain."""
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.errors import BadRequest, field_error
from talentkit.pagination import MAX_LIMIT, Page, decode_cursor, encode_cursor

from ats.audit.models import AuditEvent
from ats.audit.service import verify

router = APIRouter(prefix="/v1/audit-events", tags=["Audit trail"])
Auditor = Annotated[RequestContext, Depends(require("ats:audit"))]


class AuditEventRead(BaseModel):
    """One audited write."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    actor: str = Field(description="Principal that made the write (API key name, `admin`, `sync-gateway`).")
    on_behalf_of: str | None = Field(description="The user named in the `On-Behalf-Of` header, if any.")
    request_id: str | None
    causation_id: str | None = Field(description="The event that caused the write, for writes made by the gateway.")
    action: str = Field(description="e.g. `candidate.updated`, `application.moved`, `offer.approved`.")
    target_type: str
    target_id: str
    changes: dict[str, Any] = Field(description="Changed fields: `{field: {before, after}}`.")
    prev_hash: str
    hash: str


class VerificationRead(BaseModel):
    ok: bool
    checked: int = Field(description="Entries verified.")
    first_broken_id: int | None = Field(description="The first entry whose hash or link does not hold.")
    reason: str | None


@router.get("", response_model=Page[AuditEventRead], summary="Query the audit trail")
async def list_audit_events(
    request: Request, response: Response, ctx: Auditor, session: Session,
    target_type: Annotated[str | None, Query(description="e.g. `candidate`, `application`, `job`.")] = None,
    target_id: Annotated[str | None, Query()] = None,
    actor: Annotated[str | None, Query(description="Principal id, e.g. `admin` or `key:careers-site`.")] = None,
    after: Annotated[datetime | None, Query(description="Only entries after this time.")] = None,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> dict[str, Any]:
    """Entries in the order they were written (oldest first), filtered with AND."""
    start = 0
    if cursor:
        try:
            start = int(decode_cursor(cursor)["after"][0])
        except (IndexError, TypeError, ValueError):
            raise BadRequest("The cursor is not one this API issued.", errors=[field_error("cursor", "invalid cursor")]) from None
    stmt = select(AuditEvent).where(AuditEvent.id > start)
    for column, value in ((AuditEvent.target_type, target_type), (AuditEvent.target_id, target_id), (AuditEvent.actor, actor)):
        if value is not None:
            stmt = stmt.where(column == value)
    if after is not None:
        stmt = stmt.where(AuditEvent.occurred_at > after)
    rows = (await session.execute(stmt.order_by(AuditEvent.id).limit(limit + 1))).scalars().all()
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = encode_cursor({"after": [rows[-1].id]})
        params = "&".join(f"{k}={v}" for k, v in request.query_params.items() if k != "cursor")
        response.headers["Link"] = f'<{request.url.path}?{params}&cursor={nxt}>; rel="next"'
    return {"data": rows, "next_cursor": nxt,
            "next": response.headers["Link"][1:response.headers["Link"].index(">")] if nxt else None}


@router.get("/verify", response_model=VerificationRead, summary="Verify the audit chain")
async def verify_chain(ctx: Auditor, session: Session) -> VerificationRead:
    """Recompute every entry's hash from its content and its predecessor's hash; report the first broken link."""
    return VerificationRead(**vars(await verify(session)))
