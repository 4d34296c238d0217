"""What guards the public pages: prospect-scoped signed tokens (the sending module's HMAC), double-submit CSRF
tokens and a small in-memory per-IP rate limiter."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

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
