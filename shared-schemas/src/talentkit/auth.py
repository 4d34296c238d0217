"""API keys with scopes, sent as `Authorization: Bearer <key>`; every write knows its principal."""

import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update

from talentkit.db import PlatformTables, Session
from talentkit.errors import Forbidden, NotFound, Unauthorized

ALL_SCOPES = ("ats:read", "ats:write", "ats:audit", "ats:eeo", "crm:read", "crm:write", "gateway:read", "gateway:admin",
              "keys:admin")
GATEWAY_PRINCIPAL = "sync-gateway"
# The gateway may stamp its writes with the source time of the change it applies (Source-Time header).
SYNC_SCOPE = "sync:origin"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a bootstrapped key (admin, sync-gateway) or a stored API key."""

    id: str
    scopes: frozenset[str]
    on_behalf_of: str | None = None

    def has(self, scope: str) -> bool:
        return "*" in self.scopes or scope in self.scopes


@dataclass(frozen=True)
class RequestContext:
    """What every write records: the principal, on whose behalf, the request id and the causing event."""

    principal: Principal
    request_id: str | None = None
    causation_id: str | None = None
    source_time: datetime | None = None
    source_field_times: dict[str, datetime] = field(default_factory=dict)
    traceparent: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def actor(self) -> str:
        return self.principal.id if not self.principal.on_behalf_of else f"{self.principal.id} (for {self.principal.on_behalf_of})"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def _principal(request: Request, session: Session) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthorized("Send an API key as `Authorization: Bearer <key>`.",
                           headers={"WWW-Authenticate": 'Bearer realm="talent"'})
    raw = raw.strip()
    obo = request.headers.get("on-behalf-of")
    settings = request.app.state.settings
    for secret, pid, scopes in (
        (settings.admin_api_key, "admin", frozenset({"*"})),
        (settings.gateway_api_key, GATEWAY_PRINCIPAL,
         frozenset({"ats:read", "ats:write", "crm:read", "crm:write", SYNC_SCOPE})),
    ):
        if secret is not None and hmac.compare_digest(raw.encode(), secret.get_secret_value().encode()):
            return Principal(pid, scopes, obo)
    table = request.app.state.platform.api_keys
    row = (await session.execute(
        select(table.c.id, table.c.name, table.c.scopes).where(table.c.key_hash == hash_key(raw), table.c.revoked_at.is_(None))
    )).first()
    if row is None:
        raise Unauthorized("The API key is unknown or revoked.", headers={"WWW-Authenticate": 'Bearer realm="talent", error="invalid_token"'})
    return Principal(f"key:{row.name}", frozenset(row.scopes), obo)


def _source_times(request: Request) -> tuple[datetime | None, dict[str, datetime]]:
    """`Source-Time` and `Source-Field-Times` (JSON {field: time}): when the change a sync write carries happened."""
    def parse(raw: object) -> datetime | None:
        try:
            value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            return None
        return value if value.tzinfo else None
    source_time = parse(request.headers.get("source-time")) if request.headers.get("source-time") else None
    field_times: dict[str, datetime] = {}
    if raw := request.headers.get("source-field-times"):
        try:
            decoded = json.loads(raw)
        except ValueError:
            decoded = {}
        if isinstance(decoded, dict):
            field_times = {str(k): t for k, v in decoded.items() if (t := parse(v)) is not None}
    return source_time, field_times


def require(scope: str):
    """Dependency: the caller's RequestContext, or 401/403."""

    async def dependency(request: Request, principal: Annotated[Principal, Depends(_principal)]) -> RequestContext:
        if not principal.has(scope):
            raise Forbidden(f"This API key lacks the scope `{scope}`.", required_scope=scope)
        source_time, field_times = None, {}
        if principal.has(SYNC_SCOPE):
            source_time, field_times = _source_times(request)
        ctx = RequestContext(
            principal=principal,
            request_id=getattr(request.state, "request_id", None),
            causation_id=request.headers.get("causation-id"),
            source_time=source_time,
            source_field_times=field_times,
            traceparent=request.headers.get("traceparent"),
        )
        request.state.ctx = ctx  # the request's unit of work stamps its events with it
        return ctx

    return dependency


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="What the key is for, e.g. `careers-site`.")
    scopes: list[str] = Field(min_length=1, description=f"Scopes to grant, from: {', '.join(ALL_SCOPES)}.")


class ApiKeyRead(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="First characters of the key, to recognise it in lists.")
    scopes: list[str]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret key. Shown once: store it now.")


def api_keys_router(tables: PlatformTables) -> APIRouter:
    """`/v1/api-keys`: create, list and revoke scoped keys (scope `keys:admin`)."""
    router = APIRouter(prefix="/v1/api-keys", tags=["API keys"])
    t = tables.api_keys
    Admin = Annotated[RequestContext, Depends(require("keys:admin"))]

    @router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated,
                 summary="Create an API key")
    async def create_key(body: ApiKeyCreate, ctx: Admin, session: Session) -> dict[str, Any]:
        """Create a key with the given scopes. The secret is returned once, in `key`."""
        unknown = sorted(set(body.scopes) - set(ALL_SCOPES))
        if unknown:
            from talentkit.errors import Unprocessable, field_error
            raise Unprocessable("Unknown scopes.", errors=[field_error("scopes", f"unknown scope {s!r}") for s in unknown])
        raw = "tk_" + secrets.token_urlsafe(32)
        values = dict(id=str(uuid.uuid4()), name=body.name, prefix=raw[:10], key_hash=hash_key(raw),
                      scopes=body.scopes, created_by=ctx.actor)
        row = (await session.execute(t.insert().values(**values).returning(*t.c))).mappings().one()
        return {**{k: v for k, v in row.items() if k != "key_hash"}, "key": raw}

    @router.get("", response_model=list[ApiKeyRead], summary="List API keys")
    async def list_keys(ctx: Admin, session: Session) -> list[dict[str, Any]]:
        """All keys, newest first, without their secrets."""
        rows = (await session.execute(select(t).order_by(t.c.created_at.desc()))).mappings().all()
        return [dict(r) for r in rows]

    @router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key")
    async def revoke_key(key_id: uuid.UUID, ctx: Admin, session: Session) -> None:
        """Revoke a key; requests using it get 401 from now on."""
        res = await session.execute(update(t).where(t.c.id == str(key_id)).values(revoked_at=datetime.now().astimezone()))
        if res.rowcount == 0:
            raise NotFound("No API key with this id.")

    return router
