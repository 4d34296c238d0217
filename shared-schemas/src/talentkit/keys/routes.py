"""HTTP for credentials: `/v1/api-keys`, `/v1/oauth-clients` and `POST /oauth/token` (`talentkit.keys.service`)."""
from __future__ import annotations

import base64
import binascii
import uuid
from enum import Enum
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse

from talentkit.auth import RequestContext, require
from talentkit.db import PlatformTables, UoW
from talentkit.keys import service
from talentkit.keys.schemas import (
    TOKEN_PATH,
    ApiKeyCreated,
    ApiKeyRead,
    CredentialCreate,
    OAuthClientCreated,
    OAuthClientRead,
    TokenError,
    TokenResponse,
)
from talentkit.keys.service import API_KEY, OAUTH_CLIENT

Admin = Annotated[RequestContext, Depends(require("keys:admin"))]


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
    async def create_key(body: CredentialCreate, ctx: Admin, request: Request, uow: UoW) -> dict[str, Any]:
        """Create a key with the given scopes (only scopes the calling key holds). The secret is returned once, in `key`."""
        row, secret = await service.create(uow=uow, table=t, kind=API_KEY, body=body, ctx=ctx,
                                           default_rate_limit=request.app.state.settings.rate_limit_per_minute)
        return {**row, "key": secret}

    @router.get("/v1/api-keys", response_model=list[ApiKeyRead], summary="List API keys", tags=keys_tag)
    async def list_keys(ctx: Admin, uow: UoW) -> list[dict[str, Any]]:
        """All API keys, newest first, without their secrets."""
        return await service.listing(uow=uow, table=t, kind=API_KEY)

    @router.delete("/v1/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key", tags=keys_tag)
    async def revoke_key(key_id: uuid.UUID, ctx: Admin, request: Request, uow: UoW) -> None:
        """Revoke a key: requests using it get 401 at once on this service, within seconds on its other replicas."""
        await service.revoke(uow=uow, table=t, kind=API_KEY, credential_id=key_id,
                             principals=request.app.state.principals)

    @router.post("/v1/oauth-clients", status_code=status.HTTP_201_CREATED, response_model=OAuthClientCreated,
                 summary="Create an OAuth client", tags=["OAuth"],
                 responses={403: {"description": "A scope or rate limit the calling key does not hold itself."}})
    async def create_client(body: CredentialCreate, ctx: Admin, request: Request, uow: UoW) -> dict[str, Any]:
        """Create a client for the client-credentials grant; the secret is returned once, in `client_secret`."""
        row, secret = await service.create(uow=uow, table=t, kind=OAUTH_CLIENT, body=body, ctx=ctx,
                                           default_rate_limit=request.app.state.settings.rate_limit_per_minute)
        return {**_client(row), "client_secret": secret}

    @router.get("/v1/oauth-clients", response_model=list[OAuthClientRead], summary="List OAuth clients", tags=["OAuth"])
    async def list_clients(ctx: Admin, uow: UoW) -> list[dict[str, Any]]:
        """All OAuth clients, newest first, without their secrets."""
        return [_client(r) for r in await service.listing(uow=uow, table=t, kind=OAUTH_CLIENT)]

    @router.delete("/v1/oauth-clients/{client_id}", status_code=status.HTTP_204_NO_CONTENT,
                   summary="Revoke an OAuth client", tags=["OAuth"])
    async def revoke_client(client_id: uuid.UUID, ctx: Admin, request: Request, uow: UoW) -> None:
        """Revoke a client: no new tokens from now on; tokens already issued stay valid until they expire."""
        await service.revoke(uow=uow, table=t, kind=OAUTH_CLIENT, credential_id=client_id,
                             principals=request.app.state.principals)

    router.include_router(token_router(tables))
    return router


# ------------------------------------------------------------------------------------------ POST /oauth/token
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
    async def token(request: Request, uow: UoW) -> JSONResponse:
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
            issued = await service.issue_token(uow=uow, table=t, settings=request.app.state.settings,
                                               client_id=client_id, secret=secret, requested=form.get("scope", "").split())
        except service.TokenRefused as refused:
            return _token_error(refused.status, refused.error, refused.description)
        return JSONResponse({"access_token": issued.access_token, "token_type": "Bearer",
                             "expires_in": issued.expires_in, "scope": " ".join(issued.scopes)},
                            headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    return router
