"""Resume queries."""
from __future__ import annotations

import uuid
from typing import Any

from ats.resumes.models import Resume
from sqlalchemy import Select, and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, undefer


async def by_hash(session: AsyncSession, candidate_id: uuid.UUID, sha256: str) -> Resume | None:
    """The candidate's resume with this content, if uploaded before."""
    return (await session.execute(select(Resume).where(Resume.candidate_id == candidate_id,
                                                       Resume.sha256 == sha256))).scalar_one_or_none()


async def get(session: AsyncSession, candidate_id: uuid.UUID, resume_id: uuid.UUID, *, text: bool = False,
              content: bool = False) -> Resume | None:
    stmt = select(Resume).where(Resume.id == resume_id, Resume.candidate_id == candidate_id)
    for wanted, column in ((text, Resume.text), (content, Resume.content)):
        if wanted:
            stmt = stmt.options(undefer(column))
    return (await session.execute(stmt)).scalar_one_or_none()


def listing(candidate_id: uuid.UUID) -> Select[Any]:
    return select(Resume).where(Resume.candidate_id == candidate_id, Resume.erased_at.is_(None))


async def erase(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    """Blank every resume of the candidate: file, text, fields, embedding, name and hash."""
    await session.execute(update(Resume).where(Resume.candidate_id == candidate_id).values(
        content=None, text="", fields={}, skills=[], titles=[], companies=[], years_of_experience=None,
        embedding=None, filename=None, sha256=func.concat("erased:", Resume.id), erased_at=func.now()))


async def move(session: AsyncSession, from_candidate: uuid.UUID, to_candidate: uuid.UUID) -> None:
    """Give the survivor of a merge the duplicate's resumes (a file both had stays once)."""
    kept = aliased(Resume)
    survivor = select(kept.sha256).where(kept.candidate_id == to_candidate).scalar_subquery()
    await session.execute(delete(Resume).where(and_(Resume.candidate_id == from_candidate, Resume.sha256.in_(survivor))))
    await session.execute(update(Resume).where(Resume.candidate_id == from_candidate).values(candidate_id=to_candidate))
