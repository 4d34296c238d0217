"""What a prospect's embedding is computed from: their work, not who they are (no name, no contact points)."""
from __future__ import annotations

from typing import Any


def prospect_text(*, headline: str | None, current_title: str | None, current_company: str | None,
                  skills: list[str] | None, **_: Any) -> str:
    """`Senior Python engineer. Backend APIs. Skills: Python, Django. At Acme.` (empty parts left out)."""
    parts = [current_title, headline, ("Skills: " + ", ".join(skills)) if skills else None,
             f"At {current_company}" if current_company else None]
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip())
