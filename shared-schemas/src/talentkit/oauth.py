"""OAuth2 access tokens: short-lived JWTs (HS256) signed with the platform-wide key set, so a token issued by one
service is accepted by all; `kid` names the key, the first key of `TALENT_OAUTH_SIGNING_KEYS` signs, all verify."""
from __future__ import annotations

import functools
import time
import uuid
from typing import Any

import jwt

from talentkit.settings import ServiceSettings, signing_keys

ALGORITHM = "HS256"
_REQUIRED = ["exp", "iat", "jti", "sub", "iss", "aud"]


class InvalidToken(Exception):
    """The bearer token is not one we issued, or no longer valid; the message says why."""


@functools.lru_cache(maxsize=8)
def _keys(raw: str) -> tuple[tuple[str, str], ...]:
    return tuple(signing_keys(raw))


def issue(settings: ServiceSettings, *, subject: str, name: str, scopes: list[str], rate_limit: int | None) -> str:
    """A signed access token for client `subject` carrying `scopes` and its rate limit."""
    kid, secret = _keys(settings.oauth_signing_keys.get_secret_value())[0]
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.oauth_issuer, "aud": settings.oauth_audience, "sub": subject, "iat": now,
        "exp": now + settings.oauth_token_seconds, "jti": uuid.uuid4().hex, "scope": " ".join(scopes),
        "client_name": name, "rate_limit": rate_limit,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"kid": kid})


def verify(settings: ServiceSettings, token: str) -> dict[str, Any]:
    """The claims of a valid token (signature, kid, issuer, audience, expiry), else InvalidToken."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise InvalidToken("The access token is malformed.") from exc
    secret = dict(_keys(settings.oauth_signing_keys.get_secret_value())).get(kid) if isinstance(kid, str) else None
    if secret is None:
        raise InvalidToken("The access token is signed with an unknown key.")
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=settings.oauth_audience,
                            issuer=settings.oauth_issuer, options={"require": _REQUIRED})
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("The access token has expired; request a new one.") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"The access token is invalid ({type(exc).__name__}).") from exc
    if not isinstance(claims.get("scope", ""), str) or not isinstance(claims["sub"], str):
        raise InvalidToken("The access token's claims are malformed.")
    return claims


def looks_like_jwt(raw: str) -> bool:
    """JWTs have three dot-separated parts; our API keys (`tk_…`) never contain a dot."""
    return raw.count(".") == 2
