"""The tracking URLs of one message (open pixel, recorded links, one-click unsubscribe), signed for their purpose."""
from __future__ import annotations

from datetime import datetime

from crm.signing import Purpose, Signer


class Tracker:
    """Builds the tracking URLs of one message; a click URL names the index of a recorded link, never a URL."""

    def __init__(self, base_url: str, signer: Signer, message_id: str, prospect_id: str, now: datetime) -> None:
        self.base, self.signer, self.m, self.p, self.now = base_url.rstrip("/"), signer, message_id, prospect_id, now

    def pixel(self) -> str:
        return f"{self.base}/t/o/{self.signer.sign(Purpose.OPEN, {'m': self.m}, now=self.now)}.gif"

    def click(self, index: int) -> str:
        return f"{self.base}/t/c/{self.signer.sign(Purpose.CLICK, {'m': self.m, 'l': index}, now=self.now)}"

    def unsubscribe(self) -> str:
        return f"{self.base}/t/u/{self.signer.sign(Purpose.UNSUBSCRIBE, {'m': self.m, 'p': self.p}, now=self.now)}"
