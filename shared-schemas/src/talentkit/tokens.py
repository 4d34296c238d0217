"""Signed, expiring, purpose-bound tokens: the credential of a link handed out without a login (an interview
self-scheduling page, a form's CSRF token).

A token is `<kid>.<payload>.<mac>` (base64url payload, HMAC-SHA256 over `kid.payload`). The payload carries the
token's purpose (`p`) and expiry (`x`, Unix seconds) beside its data; a token is accepted only for its own
purpose and before its expiry. Keys rotate like the OAuth signing keys: configure `kid:secret,...`, the first
signs and every listed key verifies (add the new key in front, drop the old one after the longest lifetime)."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

MAX_LENGTH = 2000


class TokenInvalid(Exception):
    """Not a token signed by these keys for this purpose (forged, altered, unknown key, another purpose)."""


class TokenExpired(TokenInvalid):
    """A genuine token whose lifetime has passed."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class TokenSigner:
    """Signs with the first `(kid, secret)`, verifies with any of them."""

    def __init__(self, keys: Sequence[tuple[str, str]]) -> None:
        if not keys or any(not kid or not secret or "." in kid for kid, secret in keys):
            raise ValueError("at least one (kid, secret) pair is needed; a kid has no dots")
        self._keys = {kid: secret.encode() for kid, secret in keys}
        self._current = keys[0][0]

    def _mac(self, kid: str, body: str) -> str:
        return _b64(hmac.new(self._keys[kid], f"{kid}.{body}".encode(), hashlib.sha256).digest())

    def sign(self, purpose: str, data: dict[str, Any], *, expires_at: datetime | None = None,
             lifetime: timedelta | None = None, now: datetime | None = None) -> str:
        """A token for `purpose` carrying `data`, valid until `expires_at` (or `lifetime` from `now`)."""
        if expires_at is None:
            if lifetime is None:
                raise ValueError("give expires_at or lifetime")
            expires_at = (now or datetime.now(UTC)) + lifetime
        body = _b64(json.dumps({"d": data, "p": purpose, "x": int(expires_at.timestamp())},
                               separators=(",", ":"), sort_keys=True).encode())
        return f"{self._current}.{body}.{self._mac(self._current, body)}"

    def verify(self, purpose: str, token: str, *, now: datetime | None = None) -> dict[str, Any]:
        """The data of a genuine, unexpired token of `purpose`; raises TokenInvalid (TokenExpired when late)."""
        if not isinstance(token, str) or len(token) > MAX_LENGTH or not token.isascii() or token.count(".") != 2:
            raise TokenInvalid("not a token")
        kid, body, mac = token.split(".")
        if kid not in self._keys or not hmac.compare_digest(mac, self._mac(kid, body)):
            raise TokenInvalid("bad signature")
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, binascii.Error) as exc:
            raise TokenInvalid("bad payload") from exc
        if not isinstance(payload, dict) or payload.get("p") != purpose or not isinstance(payload.get("d"), dict):
            raise TokenInvalid("another purpose")
        expiry = payload.get("x")
        if not isinstance(expiry, int) or isinstance(expiry, bool):
            raise TokenInvalid("no expiry")
        if (now or datetime.now(UTC)).timestamp() >= expiry:
            raise TokenExpired("expired")
        return payload["d"]
