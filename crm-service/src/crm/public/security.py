"""What guards the public pages: double-submit CSRF tokens (signed for their purpose, expiring, bound to the
browser's cookie nonce) and a per-IP rate limit shared by every replica (talentkit's PostgreSQL-backed limiter)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from talentkit.ratelimit import SharedRateLimiter

from crm.signing import Purpose, Signer, TokenInvalid

CSRF_COOKIE = "crm_public_csrf"


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def _bound(nonce: str) -> str:
    return hashlib.sha256(f"csrf:{nonce}".encode()).hexdigest()[:32]


def csrf_token(signer: Signer, nonce: str, now: datetime) -> str:
    """The form token: signed, expiring, and naming (a hash of) the cookie's random nonce."""
    return signer.sign(Purpose.CSRF, {"n": _bound(nonce)}, now=now)


def csrf_ok(signer: Signer, cookie_nonce: str | None, form_token: str | None, now: datetime) -> bool:
    """True when the form token is ours, unexpired, and made for this browser's cookie."""
    if not cookie_nonce or not form_token or len(cookie_nonce) > 200 or not cookie_nonce.isascii():
        return False
    try:
        return signer.verify(Purpose.CSRF, form_token, now=now).get("n") == _bound(cookie_nonce)
    except TokenInvalid:
        return False


async def rate_limited(limiter: SharedRateLimiter, client: str, limit: int) -> int | None:
    """None when the client's hit is allowed (and counted across every replica), else the seconds to wait."""
    verdict = await limiter.hit(f"ip:{client}", limit)
    return None if verdict.allowed else max(1, verdict.reset)
