"""Credentials: API keys (`/v1/api-keys`), OAuth clients (`/v1/oauth-clients`) and the client-credentials token
endpoint (`POST /oauth/token`). Both kinds live in `api_keys` (column `kind`); a credential may only grant the
scopes it holds itself, and never a higher rate limit than its own."""
from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import uuid
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, cast
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import CursorResult, Table, event, select, update

from talentkit import oauth
from talentkit.auth import ALL_SCOPES, Principal, RequestContext, hash_key, require
from talentkit.db import PlatformTables, Session
from talentkit.errors import Forbidden, NotFound, Unprocessable, field_error

API_KEY, OAUTH_CLIENT = "api_key", "oauth_client"
TOKEN_PATH = "/oauth/token"
MAX_RATE_LIMIT = 1_000_000
Admin = Annotated[RequestContext, Depends(require("keys:admin"))]


class CredentialCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="What the credential is for, e.g. `careers-site`.")
    scopes: list[str] = Field(min_length=1, description=f"Scopes to grant, from: {', '.join(ALL_SCOPES)}. Only scopes "
                              "the calling credential holds itself can be granted.")
    rate_limit: int | None = Field(None, ge=1, le=MAX_RATE_LIMIT, description="Requests per minute per service; "
                                   "omitted: the platform default (`TALENT_RATE_LIMIT_PER_MINUTE`). At most the "
                                   "calling credential's own limit.")


class _CredentialRead(BaseModel):
    name: str
    scopes: list[str]
    rate_limit: int | None = Field(None, description="Requests per minute; null: the platform default.")
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeyRead(_CredentialRead):
    id: str
    prefix: str = Field(description="First characters of the key, to recognise it in lists.")


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret key. Shown once: store it now.")


class OAuthClientRead(_CredentialRead):
    client_id: str


class OAuthClientCreated(OAuthClientRead):
    client_secret: str = Field(description=f"The client secret. Shown once: store it now. Exchange it at `{TOKEN_PATH}`.")


def check_grant(principal: Principal, scopes: list[str], rate_limit: int | None, default_limit: int) -> None:
    """422 for unknown scopes; 403 naming the scopes (or the rate limit) the caller cannot grant."""
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise Unprocessable("Unknown scopes.", errors=[field_error("scopes", f"unknown scope {s!r}") for s in unknown])
    ungrantable = sorted(s for s in set(scopes) if not principal.has(s))
    if ungrantable:
        raise Forbidden(f"A credential may only grant scopes it holds itself; this one cannot grant "
                        f"{', '.join(f'`{s}`' for s in ungrantable)}.", ungrantable_scopes=ungrantable)
    wanted = rate_limit or default_limit
    if principal.rate_limit is not None and wanted > principal.rate_limit:
        raise Forbidden(f"A credential cannot grant a rate limit above its own ({principal.rate_limit} per minute).",
                        ungrantable_rate_limit=wanted)


async def _create(request: Request, session: Session, ctx: RequestContext, body: CredentialCreate, kind: str,
                  secret: str) -> dict[str, Any]:
    check_grant(ctx.principal, body.scopes, body.rate_limit, request.app.state.settings.rate_limit_per_minute)
    t = request.app.state.platform.api_keys
    values = {"id": str(uuid.uuid4()), "kind": kind, "name": body.name, "prefix": secret[:10], "key_hash": hash_key(secret),
              "scopes": sorted(set(body.scopes)), "rate_limit": body.rate_limit, "created_by": ctx.actor}
    return dict((await session.execute(t.insert().values(**values).returning(*t.c))).mappings().one())


async def _list(session: Session, t: Table, kind: str) -> list[dict[str, Any]]:
    rows = (await session.execute(select(t).where(t.c.kind == kind).order_by(t.c.created_at.desc()))).mappings().all()
    return [dict(r) for r in rows]


async def _revoke(request: Request, session: Session, t: Table, kind: str, credential_id: uuid.UUID, cached_as: str) -> None:
    res = cast(CursorResult[Any], await session.execute(
        update(t).where(t.c.id == str(credential_id), t.c.kind == kind).values(revoked_at=datetime.now().astimezone())))
    if res.rowcount == 0:
        raise NotFound("No credential of this kind with this id.")
    # at once here (and again after the commit, in case a concurrent request cached it meanwhile); other processes
    # within TALENT_KEY_CACHE_SECONDS
    forget = request.app.state.principals.evict
    forget(cached_as)
    event.listen(session.sync_session, "after_commit", lambda _session: forget(cached_as), once=True)


def _client(row: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in row.items() if k not in ("key_hash", "id", "prefix", "kind")}, "client_id": row["id"]}


def api_keys_router(tables: PlatformTables) -> APIRouter:
    """`/v1/api-keys` and `/v1/oauth-clients`: create, list and revoke credentials (scope `keys:admin`)."""
    router = APIRouter()
    t = tables.api_keys
    keys_tag: list[str | Enum] = ["API keys"]

    @router.post("/v1/api-keys", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated,
                 summary="Create an API key", tags=keys_tag, responses={403: {"description": "A scope or rate limit the calling key "
                                                               "does not hold itself (`ungrantable_scopes`)."}})
    async def create_key(body: CredentialCreate, ctx: Admin, request: Request, session: Session) -> dict[str, Any]:
        """Create a key with the given scopes (only scopes the calling key holds). The secret is returned once, in `key`."""
        raw = "tk_" + secrets.token_urlsafe(32)
        row = await _create(request, session, ctx, body, API_KEY, raw)
        return {**row, "key": raw}

    @router.get("/v1/api-keys", response_model=list[ApiKeyRead], summary="List API keys", tags=keys_tag)
    async def list_keys(ctx: Admin, session: Session) -> list[dict[str, Any]]:
        """All API keys, newest first, without their secrets."""
        return await _list(session, t, API_KEY)

    @router.delete("/v1/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key", tags=keys_tag)
    async def revoke_key(key_id: uuid.UUID, ctx: Admin, request: Request, session: Session) -> None:
        """Revoke a key: requests using it get 401 at once on this service, within seconds on its other replicas."""
        await _revoke(request, session, t, API_KEY, key_id, str(key_id))

    @router.post("/v1/oauth-clients", status_code=status.HTTP_201_CREATED, response_model=OAuthClientCreated,
                 summary="Create an OAuth client", tags=["OAuth"],
                 responses={403: {"description": "A scope or rate limit the calling key does not hold itself."}})
    async def create_client(body: CredentialCreate, ctx: Admin, request: Request, session: Session) -> dict[str, Any]:
        """Create a client for the client-credentials grant; the secret is returned once, in `client_secret`."""
        raw = "tcs_" + secrets.token_urlsafe(32)
        row = await _create(request, session, ctx, body, OAUTH_CLIENT, raw)
        return {**_client(row), "client_secret": raw}

    @router.get("/v1/oauth-clients", response_model=list[OAuthClientRead], summary="List OAuth clients", tags=["OAuth"])
    async def list_clients(ctx: Admin, session: Session) -> list[dict[str, Any]]:
        """All OAuth clients, newest first, without their secrets."""
        return [_client(r) for r in await _list(session, t, OAUTH_CLIENT)]

    @router.delete("/v1/oauth-clients/{client_id}", status_code=status.HTTP_204_NO_CONTENT,
                   summary="Revoke an OAuth client", tags=["OAuth"])
    async def revoke_client(client_id: uuid.UUID, ctx: Admin, request: Request, session: Session) -> None:
        """Revoke a client: no new tokens from now on; tokens already issued stay valid until they expire."""
        await _revoke(request, session, t, OAUTH_CLIENT, client_id, f"oauth:{client_id}")

    router.include_router(token_router(tables))
    return router


# ------------------------------------------------------------------------------------------ POST /oauth/token
class TokenResponse(BaseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer <access_token>` to any of the services.")
    token_type: str = Field("Bearer")
    expires_in: int = Field(description="Seconds until the token expires; then request a new one.")
    scope: str = Field(description="The granted scopes, space-separated.")


class TokenError(BaseModel):
    error: str = Field(description="`invalid_request`, `invalid_client`, `invalid_scope` or `unsupported_grant_type` "
                       "(RFC 6749 §5.2).")
    error_description: str


def _token_error(status_code: int, error: str, description: str) -> JSONResponse:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if error == "invalid_client":
        headers["WWW-Authenticate"] = 'Basic realm="talent"'
    return JSONResponse({"error": error, "error_description": description}, status_code=status_code, headers=headers)


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str] | JSONResponse:
    """(client_id, secret) from HTTP Basic (RFC 6749 §2.3.1, form-urlencoded parts) or the form, never both."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    in_form = "client_id" in form or "client_secret" in form
    if scheme.lower() == "basic":
        if in_form:
            return _token_error(400, "invalid_request", "Send the client credentials either by HTTP Basic or in the form, not both.")
        try:
            client_id, sep, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            sep = ""
        if not sep:
            return _token_error(401, "invalid_client", "The Basic credentials are malformed.")
        return unquote_plus(client_id), unquote_plus(secret)
    if not in_form:
        return _token_error(401, "invalid_client", "Authenticate with HTTP Basic (client id and secret) or "
                                                   "`client_id` and `client_secret` form fields.")
    return form.get("client_id", ""), form.get("client_secret", "")


def token_router(tables: PlatformTables) -> APIRouter:
    """`POST /oauth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4)."""
    router = APIRouter(tags=["OAuth"])
    t = tables.api_keys
    form_schema = {"type": "object", "required": ["grant_type"], "properties": {
        "grant_type": {"type": "string", "enum": ["client_credentials"]},
        "scope": {"type": "string", "description": "Space-separated scopes, a subset of the client's; omitted: all of them."},
        "client_id": {"type": "string", "description": "When not sent by HTTP Basic."},
        "client_secret": {"type": "string", "description": "When not sent by HTTP Basic."}}}

    @router.post(TOKEN_PATH, summary="Get an access token (client credentials)", response_model=TokenResponse,
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/x-www-form-urlencoded": {"schema": form_schema}}}},
                 responses={400: {"model": TokenError, "description": "`invalid_request`, `invalid_scope` or "
                                  "`unsupported_grant_type`."},
                            401: {"model": TokenError, "description": "`invalid_client`: unknown, revoked or wrong secret."}})
    async def token(request: Request, session: Session) -> JSONResponse:
        """Exchange a client id and secret for a short-lived JWT access token accepted by every service. Errors follow
        RFC 6749 §5.2 (`{"error": ..., "error_description": ...}`), not problem+json, as OAuth clients expect."""
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            return _token_error(400, "invalid_request", "Send the request as application/x-www-form-urlencoded.")
        try:
            pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True, max_num_fields=20)
        except (UnicodeDecodeError, ValueError):
            return _token_error(400, "invalid_request", "The form is not valid UTF-8 form encoding.")
        form = dict(pairs)
        if len(form) != len(pairs):
            return _token_error(400, "invalid_request", "A parameter is repeated.")
        if not form.get("grant_type"):
            return _token_error(400, "invalid_request", "`grant_type` is required.")
        if form["grant_type"] != "client_credentials":
            return _token_error(400, "unsupported_grant_type", "Only `client_credentials` is supported.")
        creds = _client_credentials(request, form)
        if isinstance(creds, JSONResponse):
            return creds
        client_id, secret = creds
        try:
            uuid.UUID(client_id)
        except ValueError:
            return _token_error(401, "invalid_client", "Unknown client, or a wrong secret.")
        row = (await session.execute(select(t.c.id, t.c.name, t.c.scopes, t.c.key_hash, t.c.rate_limit).where(
            t.c.id == client_id, t.c.kind == OAUTH_CLIENT, t.c.revoked_at.is_(None)))).first()
        if row is None or not hmac.compare_digest(row.key_hash, hash_key(secret)):
            return _token_error(401, "invalid_client", "Unknown client, or a wrong secret.")
        requested = form.get("scope", "").split()
        beyond = sorted(set(requested) - set(row.scopes))
        if beyond:
            return _token_error(400, "invalid_scope", f"The client does not hold: {' '.join(beyond)}.")
        granted = sorted(set(requested)) if requested else list(row.scopes)
        settings = request.app.state.settings
        access = oauth.issue(settings, subject=str(row.id), name=row.name, scopes=granted, rate_limit=row.rate_limit)
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": settings.oauth_token_seconds,
                             "scope": " ".join(granted)}, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    return router
