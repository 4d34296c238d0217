"""What guards the public pages: double-submit CSRF tokens (signed for their purpose, expiring, bound to the
browser's cookie nonce) and a small in-memory per-IP rate limiter."""
from __future__ import annotations

import hashlib
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

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


@dataclass
class RateLimiter:
    """At most `limit` hits per client in a sliding `window` (seconds); in memory, per process."""

    limit: int = 20
    window: float = 60.0
    hits: dict[str, deque[float]] = field(default_factory=dict)

    def check(self, client: str, now: float | None = None) -> float | None:
        """None when the hit is allowed (and counted), else the seconds to wait."""
        now = time.monotonic() if now is None else now
        q = self.hits.setdefault(client, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        if len(q) >= self.limit:
            return max(1.0, q[0] + self.window - now)
        q.append(now)
        if len(self.hits) > 10_000:  # forget idle clients so memory stays bounded
            for k in [k for k, v in self.hits.items() if not v or v[-1] <= now - self.window]:
                del self.hits[k]
        return None
