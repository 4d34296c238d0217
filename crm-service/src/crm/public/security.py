"""What guards the public pages: prospect-scoped signed tokens (the sending module's HMAC), double-submit CSRF
tokens and a per-IP rate limit shared by every replica (talentkit's PostgreSQL-backed limiter)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from talentkit.ratelimit import SharedRateLimiter

from crm.sending.tracking import sign, verify

CSRF_COOKIE = "crm_public_csrf"
UNSUBSCRIBE, CONSENT = "pu", "pc"  # kinds of prospect-scoped tokens (the message tokens use o / c / u)


def prospect_token(secret: str, kind: str, prospect_id: uuid.UUID) -> str:
    """A token naming one prospect, signed with the tracking secret."""
    return sign(secret, {"k": kind, "p": str(prospect_id)})


def token_payload(secret: str, token: str) -> dict[str, str] | None:
    """The verified payload (`k` and `p`, and `m` for a message token), else None."""
    if len(token) > 2000:
        return None
    p = verify(secret, token)
    if not isinstance(p, dict) or not isinstance(p.get("k"), str) or not isinstance(p.get("p"), str):
        return None
    try:
        uuid.UUID(p["p"])
    except ValueError:
        return None
    return p


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(secret: str, nonce: str) -> str:
    """The form token: HMAC of the cookie's random nonce (double submit, bound to the server's key)."""
    return hmac.new(secret.encode(), f"csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: str, cookie_nonce: str | None, form_token: str | None) -> bool:
    if not cookie_nonce or not form_token or len(cookie_nonce) > 200:
        return False
    return hmac.compare_digest(csrf_token(secret, cookie_nonce), form_token)


async def rate_limited(limiter: SharedRateLimiter, client: str, limit: int) -> int | None:
    """None when the client's hit is allowed (and counted across every replica), else the seconds to wait."""
    verdict = await limiter.hit(f"ip:{client}", limit)
    return None if verdict.allowed else max(1, verdict.reset)
