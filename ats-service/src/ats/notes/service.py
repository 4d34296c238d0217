"""Note use cases. Notes never leave the ATS (no event) but are audited."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext

from ats.audit import service as audit
from ats.candidates.service import candidates
from ats.notes.models import Note, Visibility
from ats.users import acting_user


async def add(session: AsyncSession, candidate_id: uuid.UUID, body: str, visibility: Visibility, ctx: RequestContext) -> Note:
    """Write a note on the candidate (404 for an unknown candidate)."""
    await candidates.get(session, candidate_id)
    note = Note.write(candidate_id, body, visibility, principal=ctx.principal, author=acting_user(ctx), actor=ctx.actor)
    session.add(note)
    await session.flush()
    # The entry's target is the note, not the candidate: the activity feed shows notes by visibility, never their audit.
    await audit.record(session, ctx, "note.created", "note", note.id,
                       {"candidate_id": {"before": None, "after": candidate_id}, "body": {"before": None, "after": body},
                        "visibility": {"before": None, "after": visibility}})
    return note


def summary(changes: dict[str, Any] | None, limit: int = 500) -> str | None:
    """`field: before → after; ...` of an audit entry, cut to `limit` characters."""
    if not changes:
        return None
    parts = []
    for field, change in changes.items():
        if isinstance(change, dict) and "after" in change:
            parts.append(f"{field}: {change.get('before')} → {change.get('after')}" if change.get("before") is not None
                         else f"{field}: {change.get('after')}")
        else:
            parts.append(f"{field}: {change}")
    text = "; ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"
