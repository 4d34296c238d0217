"""Resume excerpt queries."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.resume_text.models import ResumeExcerpt


async def of(session: AsyncSession, prospect_id: uuid.UUID) -> ResumeExcerpt | None:
    return await session.get(ResumeExcerpt, prospect_id, populate_existing=True)


async def keep(session: AsyncSession, prospect_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Store the excerpt unless the one stored is of a resume read later."""
    stmt = insert(ResumeExcerpt).values(prospect_id=prospect_id, **values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["prospect_id"], set_={"text": stmt.excluded.text, "resume_id": stmt.excluded.resume_id,
                                              "read_at": stmt.excluded.read_at},
        where=ResumeExcerpt.read_at <= stmt.excluded.read_at))


async def forget(session: AsyncSession, prospect_id: uuid.UUID) -> None:
    await session.execute(delete(ResumeExcerpt).where(ResumeExcerpt.prospect_id == prospect_id))


async def move(session: AsyncSession, from_id: uuid.UUID, to_id: uuid.UUID) -> None:
    """The merged prospect's excerpt goes to the survivor, unless the survivor has one of its own."""
    kept = exists().where(ResumeExcerpt.prospect_id == to_id)
    await session.execute(update(ResumeExcerpt).where(ResumeExcerpt.prospect_id == from_id, ~kept)
                          .values(prospect_id=to_id))
    await forget(session, from_id)


async def texts_of(session: AsyncSession, prospect_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The excerpt of each prospect that has one."""
    stmt = select(ResumeExcerpt.prospect_id, ResumeExcerpt.text).where(ResumeExcerpt.prospect_id.in_(prospect_ids))
    return dict((await session.execute(stmt)).all()) if prospect_ids else {}
