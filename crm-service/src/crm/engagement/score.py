"""The pure scoring rule: sum of weight × 0.5^(age / half-life) over the engagement events up to `now`."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from crm.engagement.config import EngagementSettings

KIND_LABELS = {"message_opened": "open", "message_clicked": "click", "message_replied": "reply", "page_visit": "page_visit"}


@dataclass(frozen=True)
class Contribution:
    kind: str  # open | click | reply | page_visit
    at: datetime
    weight: float
    decayed: float


def decay(value: float, seconds: float, half_life_days: float) -> float:
    """`value` after `seconds` of exponential decay."""
    return value * math.pow(0.5, max(seconds, 0.0) / (half_life_days * 86400.0))


def level_of(score: float, settings: EngagementSettings) -> str:
    if score >= settings.hot_threshold:
        return "hot"
    return "warm" if score >= settings.warm_threshold else "cold"


def compute(events: Iterable[tuple[str, datetime]], now: datetime,
            settings: EngagementSettings) -> tuple[float, list[Contribution]]:
    """Score and contributions (newest first) of `(activity kind, occurred_at)` pairs; later events are ignored."""
    weights = settings.weights()
    out = []
    for kind, at in events:
        if kind not in weights or at > now:
            continue
        w = weights[kind]
        out.append(Contribution(KIND_LABELS[kind], at, w, decay(w, (now - at).total_seconds(), settings.half_life_days)))
    out.sort(key=lambda c: c.at, reverse=True)
    return round(sum(c.decayed for c in out), 6), out
