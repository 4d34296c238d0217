"""Resume excerpt use cases: keep the latest, read it."""
from __future__ import annotations

import uuid
from typing import Any

from talentkit.errors import NotFound
from talentkit.uow import UnitOfWork

from crm.prospects.service import prospects
from crm.resume_text import repository
from crm.resume_text.models import ResumeExcerpt


async def keep(*, uow: UnitOfWork, prospect_id: uuid.UUID, values: dict[str, Any]) -> ResumeExcerpt:
    """Store the excerpt of a resume read later than the one stored (410 erased, 409 merged); the stored one."""
    record = await prospects.get(uow.session, prospect_id, for_update=True)
    record.ensure_writable()
    await repository.keep(uow.session, prospect_id, values)
    uow.wake_workers()  # a trigger queued the prospect's embedding again
    return await read(uow=uow, prospect_id=prospect_id)


async def read(*, uow: UnitOfWork, prospect_id: uuid.UUID) -> ResumeExcerpt:
    """The prospect's excerpt, or 404."""
    excerpt = await repository.of(uow.session, prospect_id)
    if excerpt is None:
        raise NotFound(f"Prospect {prospect_id} has no resume excerpt.")
    return excerpt
