"""Credential use cases: create (granting only what the caller holds), list, revoke, and the client-credentials
grant. Secrets are stored only as hashes; a new one is shown once, by the route that created it."""
from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table

from talentkit import oauth
from talentkit.auth import ALL_SCOPES, Principal, PrincipalCache, RequestContext, hash_key
from talentkit.errors import Forbidden, NotFound, Unprocessable, field_error
from talentkit.keys import repository
from talentkit.keys.schemas import CredentialCreate
from talentkit.settings import ServiceSettings
from talentkit.uow import UnitOfWork

API_KEY, OAUTH_CLIENT = "api_key", "oauth_client"
_SECRET_PREFIX = {API_KEY: "tk_", OAUTH_CLIENT: "tcs_"}


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


async def create(*, uow: UnitOfWork, table: Table, kind: str, body: CredentialCreate, ctx: RequestContext,
                 default_rate_limit: int) -> tuple[dict[str, Any], str]:
    """A new credential of `kind` holding what the caller may grant; returns its stored row and its secret."""
    check_grant(ctx.principal, body.scopes, body.rate_limit, default_rate_limit)
    secret = _SECRET_PREFIX[kind] + secrets.token_urlsafe(32)
    row = await repository.insert(uow.session, table, {
        "id": str(uuid.uuid4()), "kind": kind, "name": body.name, "prefix": secret[:10], "key_hash": hash_key(secret),
        "scopes": sorted(set(body.scopes)), "rate_limit": body.rate_limit, "created_by": ctx.actor})
    return row, secret


async def listing(*, uow: UnitOfWork, table: Table, kind: str) -> list[dict[str, Any]]:
    """Every credential of `kind`, newest first (rows with their hashes: the schemas leave them out)."""
    return await repository.of_kind(uow.session, table, kind)


async def revoke(*, uow: UnitOfWork, table: Table, kind: str, credential_id: uuid.UUID,
                 principals: PrincipalCache) -> None:
    """Revoke the credential (404 when there is none of this kind); this process stops accepting it at once."""
    if not await repository.revoke(uow.session, table, kind, str(credential_id), datetime.now().astimezone()):
        raise NotFound("No credential of this kind with this id.")
    cached_as = str(credential_id) if kind == API_KEY else f"oauth:{credential_id}"

    async def forget() -> None:
        principals.evict(cached_as)
    # at once here (and again after the commit, in case a concurrent request cached it meanwhile); other processes
    # within TALENT_KEY_CACHE_SECONDS
    principals.evict(cached_as)
    uow.after_commit.append(forget)


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_in: int
    scopes: list[str]


class TokenRefused(Exception):
    """The token request is refused, in the words of RFC 6749 §5.2 (`error`), with the HTTP status to answer."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


async def issue_token(*, uow: UnitOfWork, table: Table, settings: ServiceSettings, client_id: str, secret: str,
                      requested: list[str]) -> Token:
    """An access token for an active OAuth client with the right secret, carrying `requested` (a subset of the
    client's scopes; empty: all of them)."""
    try:
        uuid.UUID(client_id)
    except ValueError:
        raise TokenRefused(401, "invalid_client", "Unknown client, or a wrong secret.") from None
    row = await repository.active(uow.session, table, OAUTH_CLIENT, client_id)
    if row is None or not hmac.compare_digest(row["key_hash"], hash_key(secret)):
        raise TokenRefused(401, "invalid_client", "Unknown client, or a wrong secret.")
    beyond = sorted(set(requested) - set(row["scopes"]))
    if beyond:
        raise TokenRefused(400, "invalid_scope", f"The client does not hold: {' '.join(beyond)}.")
    granted = sorted(set(requested)) if requested else list(row["scopes"])
    access = oauth.issue(settings, subject=str(row["id"]), name=row["name"], scopes=granted, rate_limit=row["rate_limit"])
    return Token(access_token=access, expires_in=settings.oauth_token_seconds, scopes=granted)
