"""The gateway's writes to a peer go out together as one `POST .../batch` (`talentkit.batching.Coalescer`: one
transaction and one commit for all of them, each item answered as its single request would be)."""
from __future__ import annotations

from typing import Any

from talentkit.batching import Coalescer

__all__ = ["Coalescer", "item_failure"]


def item_failure(result: dict[str, Any]) -> tuple[int, str]:
    """A failed item's status and problem text, as a single request's answer would read."""
    problem = result.get("problem") or {}
    return int(result["status"]), str(problem.get("detail") or problem.get("title") or problem)[:500]
