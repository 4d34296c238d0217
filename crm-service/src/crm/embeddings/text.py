"""What a prospect's embedding is computed from: their work, not who they are (no name, no contact points; the
resume excerpt comes from the ATS's blind text)."""
from __future__ import annotations

from typing import Any


def prospect_text(*, headline: str | None, current_title: str | None, current_company: str | None,
                  skills: list[str] | None, resume_text: str | None = None, **_: Any) -> str:
    """`Senior Python engineer. Backend APIs. Skills: Python, Django. At Acme. <resume excerpt>` (empty parts left
    out). The profile comes first: the model reads only the first 256 word pieces, and the resume excerpt (from a
    linked ATS candidate, without name or contact points) fills what is left of them."""
    parts = [current_title, headline, ("Skills: " + ", ".join(skills)) if skills else None,
             f"At {current_company}" if current_company else None, " ".join(resume_text.split()) if resume_text else None]
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip())
