"""Signed public tokens: the credential of every link the CRM hands out without a login (tracking pixel, tracked
link, unsubscribe, consent pages, double opt-in confirmation) and of its CSRF form tokens.

A token is `<payload>.<mac>` (both base64url); the payload names the token's **purpose** and its **expiry**
(`exp`, Unix seconds) besides its data, and the MAC is HMAC-SHA256 over the encoded payload. A token is only
accepted for its own purpose and before its expiry. Secrets rotate: the first secret signs, every listed secret
verifies (configure the new one first and keep the old one in `CRM_TRACKING_SECRETS_PREVIOUS` until the longest
lifetime below has passed)."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

MAX_TOKEN_LENGTH = 2000


class Purpose(StrEnum):
    OPEN = "open"  # the open pixel of one message
    CLICK = "click"  # one recorded link of one message
    UNSUBSCRIBE = "unsubscribe"  # the List-Unsubscribe / footer link of one message
    PUBLIC_UNSUBSCRIBE = "public-unsubscribe"  # a prospect's unsubscribe page (public links API)
    PUBLIC_CONSENT = "public-consent"  # a prospect's consent renewal page (public links API, renewal mails)
    CONFIRM_CONSENT = "confirm-consent"  # the double opt-in link of one sign-up
    CSRF = "csrf"  # a form of the public pages, bound to the browser's cookie


LIFETIMES: dict[Purpose, timedelta] = {
    # Links in mail must keep working as long as people read old mail (an unsubscribe link above all).
    Purpose.OPEN: timedelta(days=365), Purpose.CLICK: timedelta(days=365), Purpose.UNSUBSCRIBE: timedelta(days=365),
    # Links a recruiter hands out by hand: re-issue them (GET /v1/prospects/{id}/public-links) after 90 days.
    Purpose.PUBLIC_UNSUBSCRIBE: timedelta(days=90), Purpose.PUBLIC_CONSENT: timedelta(days=90),
    Purpose.CONFIRM_CONSENT: timedelta(days=7),
    Purpose.CSRF: timedelta(hours=12),  # a form left open over a working day still submits
}


class TokenInvalid(Exception):
    """Not a token this service signed for this purpose (forged, altered, truncated, another purpose)."""


class TokenExpired(TokenInvalid):
    """A genuine token whose lifetime has passed."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Signs with the first secret, verifies with any of them."""

    def __init__(self, secrets: Sequence[str]) -> None:
        keys = [s.encode() for s in secrets if s]
        if not keys:
            raise ValueError("at least one signing secret is needed")
        self._keys = keys

    def _mac(self, key: bytes, body: str) -> str:
        return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())

    def sign(self, purpose: Purpose, data: dict[str, Any], *, now: datetime | None = None,
             lifetime: timedelta | None = None) -> str:
        """A token for `purpose` carrying `data`, valid for the purpose's lifetime from `now`."""
        expires = (now or datetime.now(UTC)) + (lifetime or LIFETIMES[purpose])
        payload = {**data, "purpose": str(purpose), "exp": int(expires.timestamp())}
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._mac(self._keys[0], body)}"

    def verify(self, purpose: Purpose, token: str, *, now: datetime | None = None) -> dict[str, Any]:
        """The data of a genuine, unexpired token of `purpose`; raises TokenInvalid (or TokenExpired)."""
        # compare_digest on str needs ASCII: anything else cannot be ours, and must not become a server error
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            raise TokenInvalid("not a token")
        body, _, mac = token.partition(".")
        if not body or not mac or not any(hmac.compare_digest(mac, self._mac(k, body)) for k in self._keys):
            raise TokenInvalid("bad signature")
        try:
            payload = json.loads(_unb64(body))
        except (ValueError, binascii.Error) as exc:
            raise TokenInvalid("bad payload") from exc
        if not isinstance(payload, dict) or payload.pop("purpose", None) != str(purpose):
            raise TokenInvalid("another purpose")
        exp = payload.pop("exp", None)
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise TokenInvalid("no expiry")
        if (now or datetime.now(UTC)).timestamp() >= exp:
            raise TokenExpired("expired")
        return payload
