"""HMAC-signed tracking tokens and the URLs built from them: open pixel, click redirect, one-click unsubscribe."""
from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
from typing import Any

URL = re.compile(r"https?://[^\s<>\"')]+")
HREF = re.compile(r"""href=(["'])(https?://[^"']+)\1""", re.IGNORECASE)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: str, payload: dict[str, Any]) -> str:
    """`<payload>.<mac>`, both base64url; the MAC is HMAC-SHA256 over the encoded payload."""
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())}"


def verify(secret: str, token: str) -> dict[str, Any] | None:
    """The payload of a token this service signed, or None (forged, truncated, other key)."""
    body, _, mac = token.partition(".")
    expected = _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
    if not mac or not hmac.compare_digest(mac, expected):
        return None
    try:
        return json.loads(_unb64(body))
    except ValueError:
        return None


class Tracker:
    """Builds the tracking URLs of one message."""

    def __init__(self, base_url: str, secret: str, message_id: str, prospect_id: str) -> None:
        self.base, self.secret, self.m, self.p = base_url.rstrip("/"), secret, message_id, prospect_id

    def pixel(self) -> str:
        return f"{self.base}/t/o/{sign(self.secret, {'k': 'o', 'm': self.m})}.gif"

    def click(self, url: str) -> str:
        return f"{self.base}/t/c/{sign(self.secret, {'k': 'c', 'm': self.m, 'u': url})}"

    def unsubscribe(self) -> str:
        return f"{self.base}/t/u/{sign(self.secret, {'k': 'u', 'm': self.m, 'p': self.p})}"

    def rewrite_text(self, text: str) -> str:
        """Every http(s) link in plain text replaced by its click URL."""
        return URL.sub(lambda m: self.click(m.group(0)), text)

    def html(self, body: str) -> str:
        """The HTML part: hrefs (or bare links in plain text) rewritten, and the open pixel appended."""
        if "<" in body and ">" in body:
            out = HREF.sub(lambda m: f'href={m.group(1)}{self.click(html.unescape(m.group(2)))}{m.group(1)}', body)
        else:
            parts, last = [], 0
            for m in URL.finditer(body):
                parts += [html.escape(body[last:m.start()]),
                          f'<a href="{html.escape(self.click(m.group(0)))}">{html.escape(m.group(0))}</a>']
                last = m.end()
            parts.append(html.escape(body[last:]))
            out = "".join(parts).replace("\n", "<br>\n")
        return f'{out}\n<img src="{self.pixel()}" width="1" height="1" alt="" style="display:none">'
