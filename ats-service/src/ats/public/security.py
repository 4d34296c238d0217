"""Double-submit CSRF tokens (signed for their purpose, expiring, bound to the browser's cookie nonce) and the
per-address rate limit of the public forms (talentkit's limiter: one budget across replicas)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from fastapi import Request
from talentkit.clock import clock_of
from talentkit.tokens import TokenInvalid, TokenSigner

CSRF_COOKIE = "ats_public_csrf"
CSRF_PURPOSE = "csrf"
CSRF_LIFETIME = timedelta(hours=12)  # a form left open over a working day still submits


def signer(request: Request) -> TokenSigner:
    return request.app.state.settings.signer()  # type: ignore[no-any-return]


def _bound(nonce: str) -> str:
    return hashlib.sha256(f"csrf:{nonce}".encode()).hexdigest()[:32]


def form_token(request: Request) -> tuple[str, str | None]:
    """The CSRF token for a form, and the new cookie nonce to set when the browser has none yet."""
    nonce = request.cookies.get(CSRF_COOKIE)
    fresh = None
    if not nonce or len(nonce) > 200 or not nonce.isascii():
        nonce = fresh = secrets.token_urlsafe(24)
    token = signer(request).sign(CSRF_PURPOSE, {"n": _bound(nonce)}, lifetime=CSRF_LIFETIME, now=clock_of(request.app).now())
    return token, fresh


def csrf_ok(request: Request, token: str | None) -> bool:
    """True when the form's token is ours, unexpired, and made for this browser's cookie."""
    nonce = request.cookies.get(CSRF_COOKIE)
    if not nonce or not token or len(nonce) > 200 or not nonce.isascii():
        return False
    try:
        return signer(request).verify(CSRF_PURPOSE, token, now=clock_of(request.app).now()).get("n") == _bound(nonce)
    except TokenInvalid:
        return False


async def rate_limited(request: Request) -> int | None:
    """None when this client's post is allowed (and counted across replicas), else the seconds to wait."""
    client = request.client.host if request.client else "unknown"
    verdict = await request.app.state.rate_limiter.hit(f"ip:{client}", request.app.state.settings.public_rate_limit_per_minute)
    return None if verdict.allowed else max(1, verdict.reset)
