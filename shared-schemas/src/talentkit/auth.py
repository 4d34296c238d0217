"""Who is calling: `Authorization: Bearer <API key or OAuth access token>` with scopes; every write knows its
principal, and separately the user it acts for (`On-Behalf-Of`, only from principals allowed to act for users).

Looked-up principals are cached per process for `TALENT_KEY_CACHE_SECONDS` (a bounded LRU keyed by the key's hash):
revoking a key takes effect at once in the process that revoked it and within that time everywhere else."""

import hashlib
import hmac
import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import select

from talentkit import oauth
from talentkit.db import Session
from talentkit.errors import Forbidden, Unauthorized, Unprocessable, field_error
from talentkit.ratelimit import SCOPE_KEY, TooManyRequests

# Acting for a user: the `On-Behalf-Of` header is accepted only from principals holding this scope.
ACT_FOR_USERS = "act:on_behalf_of"
# Opening the personal values sealed in events (a consumer fetching a person's key, `talentkit.sealing`).
DECRYPT_EVENTS = "events:decrypt"
ALL_SCOPES = ("ats:read", "ats:write", "ats:audit", "ats:eeo", "crm:read", "crm:write", "gateway:read", "gateway:admin",
              "keys:admin", ACT_FOR_USERS, DECRYPT_EVENTS)
GATEWAY_PRINCIPAL = "sync-gateway"
# The gateway may stamp its writes with the source time of the change it applies (Source-Time header).
SYNC_SCOPE = "sync:origin"
GATEWAY_SCOPES = frozenset({"ats:read", "ats:write", "crm:read", "crm:write", SYNC_SCOPE, DECRYPT_EVENTS})
MAX_USER_ID = 200
_NOT_IN_USER_IDS = set("<>\"'`")
_CHALLENGE = 'Bearer realm="talent"'


@dataclass(frozen=True)
class Principal:
    """Who is calling: a bootstrapped key (admin, sync-gateway), a stored API key or an OAuth client.

    `id` is what writes record; `key_id` is the credential's stable id (idempotency and rate limits are scoped by
    it); `rate_limit` is requests per minute, None for the bootstrapped keys (unlimited)."""

    id: str
    scopes: frozenset[str]
    on_behalf_of: str | None = None
    key_id: str = ""
    rate_limit: int | None = None

    def __post_init__(self) -> None:
        if not self.key_id:
            object.__setattr__(self, "key_id", self.id)

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
        """The acting principal (never the user it acts for: that is `on_behalf_of`)."""
        return self.principal.id

    @property
    def on_behalf_of(self) -> str | None:
        """The user named in a validated `On-Behalf-Of` header, if any."""
        return self.principal.on_behalf_of


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class PrincipalCache:
    """Principals by key hash for a few seconds; bounded, least recently used first out."""

    def __init__(self, ttl: float, size: int = 4096) -> None:
        self.ttl, self.size = ttl, size
        self._entries: OrderedDict[str, tuple[float, Principal]] = OrderedDict()

    def get(self, digest: str) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._entries[digest]
            return None
        self._entries.move_to_end(digest)
        return entry[1]

    def put(self, digest: str, principal: Principal, ttl: float | None = None) -> None:
        if self.ttl <= 0:
            return
        self._entries[digest] = (time.monotonic() + min(self.ttl, self.ttl if ttl is None else ttl), principal)
        self._entries.move_to_end(digest)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def evict(self, key_id: str) -> None:
        """Forget every cached principal of this credential (it was revoked here)."""
        for digest in [d for d, (_, p) in self._entries.items() if p.key_id == key_id]:
            del self._entries[digest]


def _invalid(detail: str) -> Unauthorized:
    return Unauthorized(detail, error="invalid_token", headers={"WWW-Authenticate": f'{_CHALLENGE}, error="invalid_token"'})


def _bootstrapped(settings: Any, raw: str) -> Principal | None:
    for secret, pid, scopes in ((settings.admin_api_key, "admin", frozenset({"*"})),
                                (settings.gateway_api_key, GATEWAY_PRINCIPAL, GATEWAY_SCOPES)):
        if secret is not None and hmac.compare_digest(raw.encode(), secret.get_secret_value().encode()):
            return Principal(pid, scopes)
    return None


def _from_token(settings: Any, raw: str) -> tuple[Principal, float]:
    try:
        claims = oauth.verify(settings, raw)
    except oauth.InvalidToken as exc:
        raise _invalid(str(exc)) from exc
    limit = claims.get("rate_limit")
    principal = Principal(f"client:{claims.get('client_name') or claims['sub']}",
                          frozenset(claims.get("scope", "").split()), key_id=f"oauth:{claims['sub']}",
                          rate_limit=limit if isinstance(limit, int) and limit > 0 else settings.rate_limit_per_minute)
    return principal, claims["exp"] - time.time()


async def _lookup(request: Request, session: Session, raw: str) -> Principal:
    settings = request.app.state.settings
    if (boot := _bootstrapped(settings, raw)) is not None:
        return boot
    cache: PrincipalCache = request.app.state.principals
    digest = hash_key(raw)
    if (hit := cache.get(digest)) is not None:
        return hit
    if oauth.looks_like_jwt(raw):
        principal, lifetime = _from_token(settings, raw)
        cache.put(digest, principal, lifetime)
        return principal
    t = request.app.state.platform.api_keys
    row = (await session.execute(
        select(t.c.id, t.c.name, t.c.scopes, t.c.rate_limit)
        .where(t.c.key_hash == digest, t.c.kind == "api_key", t.c.revoked_at.is_(None))
    )).first()
    if row is None:
        raise _invalid("The API key is unknown or revoked.")
    principal = Principal(f"key:{row.name}", frozenset(row.scopes), key_id=str(row.id),
                          rate_limit=row.rate_limit or settings.rate_limit_per_minute)
    cache.put(digest, principal)
    return principal


def user_id(raw: str) -> str:
    """A valid `On-Behalf-Of` value (an email or user id), else 422 naming the header."""
    def bad(message: str) -> Unprocessable:
        return Unprocessable("The `On-Behalf-Of` header is invalid.",
                             errors=[field_error("On-Behalf-Of", message, "invalid_header")])
    try:
        value = raw.encode("latin-1").decode("utf-8").strip()  # headers arrive as latin-1; users send UTF-8
    except UnicodeError:
        raise bad("must be UTF-8 text") from None
    if not value or len(value) > MAX_USER_ID:
        raise bad(f"must be an email or user id of 1 to {MAX_USER_ID} characters")
    if not value.isprintable() or _NOT_IN_USER_IDS & set(value):
        raise bad("must be printable text without control characters or any of < > \" ' `")
    return value


async def _spend(request: Request, principal: Principal, hits: int) -> None:
    """Spend `hits` of the principal's per-minute budget (all or none), or 429 with `Retry-After`; the bootstrapped
    keys are unlimited."""
    if principal.rate_limit is None or hits <= 0:
        return
    verdict = await request.app.state.rate_limiter.hit(f"key:{principal.key_id}", principal.rate_limit, hits)
    request.scope[SCOPE_KEY] = verdict  # RateLimitHeaders announces it on the response
    if not verdict.allowed:
        raise TooManyRequests(f"This credential may make {verdict.limit} requests per {verdict.window} s; "
                              f"retry in {max(1, verdict.reset)} s.", headers={"Retry-After": str(max(1, verdict.reset))})


async def spend_for_batch(request: Request, principal: Principal, items: int) -> None:
    """A batch costs one request per item: the request spent one, this spends the rest (all or none, else 429); a
    batch larger than the whole per-minute budget could never pass (422)."""
    if principal.rate_limit is not None and items > principal.rate_limit:
        raise Unprocessable(f"This credential may make {principal.rate_limit} requests per minute and a batch costs one "
                            "per item: send smaller batches.",
                            errors=[field_error("items", f"at most {principal.rate_limit} items", "too_long")])
    await _spend(request, principal, items - 1)


async def _principal(request: Request, session: Session) -> Principal:
    """Authenticate, spend one hit of the principal's rate limit, then apply `On-Behalf-Of`."""
    scheme, _, raw = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthorized("Send an API key or an access token as `Authorization: Bearer <key>`.",
                           headers={"WWW-Authenticate": _CHALLENGE})
    principal = await _lookup(request, session, raw.strip())
    await _spend(request, principal, 1)
    obo = request.headers.get("on-behalf-of")
    if obo is None:
        return principal
    if not principal.has(ACT_FOR_USERS):
        raise Forbidden(f"This credential may not act on behalf of users: `On-Behalf-Of` needs the scope `{ACT_FOR_USERS}`.",
                        required_scope=ACT_FOR_USERS)
    return replace(principal, on_behalf_of=user_id(obo))


def _source_times(request: Request) -> tuple[datetime | None, dict[str, datetime]]:
    """`Source-Time` and `Source-Field-Times` (JSON {field: time}): when the change a sync write carries happened."""
    def parse(raw: object) -> datetime | None:
        try:
            value = datetime.fromisoformat(str(raw))  # 3.11+ reads a trailing "Z" itself
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
        source_time: datetime | None = None
        field_times: dict[str, datetime] = {}
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

    dependency.required_scope = scope  # type: ignore[attr-defined]  # the OpenAPI hook names it per operation
    return dependency
