"""Embedding queries: lease a batch of requests, store what was computed, drop what is done."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.embeddings.models import EmbeddingRequest, ProspectEmbedding
from crm.prospects.models import Prospect
from crm.resume_text.models import ResumeExcerpt


async def lease(session: AsyncSession, *, limit: int, now: datetime, lease: timedelta) -> list[Any]:
    """Up to `limit` requests nobody holds, oldest first, leased to this worker; with each prospect's text fields
    (its resume excerpt among them)."""
    free = (select(EmbeddingRequest.prospect_id)
            .where((EmbeddingRequest.leased_until.is_(None)) | (EmbeddingRequest.leased_until < now))
            .order_by(EmbeddingRequest.requested_at).limit(limit).with_for_update(skip_locked=True))
    leased = (await session.execute(update(EmbeddingRequest).where(EmbeddingRequest.prospect_id.in_(free))
                                    .values(leased_until=now + lease)
                                    .returning(EmbeddingRequest.prospect_id, EmbeddingRequest.requested_at))).all()
    if not leased:
        return []
    requested = dict(leased)
    rows = (await session.execute(select(Prospect.id, Prospect.status, Prospect.merged_into_id, Prospect.headline,
                                         Prospect.current_title, Prospect.current_company, Prospect.skills,
                                         ResumeExcerpt.text.label("resume_text"), ProspectEmbedding.text_sha256)
                                  .outerjoin(ProspectEmbedding, ProspectEmbedding.prospect_id == Prospect.id)
                                  .outerjoin(ResumeExcerpt, ResumeExcerpt.prospect_id == Prospect.id)
                                  .where(Prospect.id.in_(requested)))).all()
    return [(row, requested[row.id]) for row in rows]


async def store(session: AsyncSession, vectors: list[dict[str, Any]]) -> None:
    """Upsert embeddings (`prospect_id`, `embedding`, `text_sha256`, `model`, `embedded_at`)."""
    if vectors:
        stmt = insert(ProspectEmbedding).values(vectors)
        await session.execute(stmt.on_conflict_do_update(index_elements=["prospect_id"], set_={
            "embedding": stmt.excluded.embedding, "text_sha256": stmt.excluded.text_sha256,
            "model": stmt.excluded.model, "embedded_at": stmt.excluded.embedded_at}))


async def forget(session: AsyncSession, prospect_ids: list[uuid.UUID]) -> None:
    """No embedding for erased or merged prospects."""
    if prospect_ids:
        await session.execute(delete(ProspectEmbedding).where(ProspectEmbedding.prospect_id.in_(prospect_ids)))


async def done(session: AsyncSession, handled: list[tuple[uuid.UUID, datetime]]) -> None:
    """Drop the requests handled, unless the prospect changed again meanwhile (a newer `requested_at`)."""
    if handled:
        await session.execute(delete(EmbeddingRequest).where(
            tuple_(EmbeddingRequest.prospect_id, EmbeddingRequest.requested_at).in_(handled)))
        await session.execute(update(EmbeddingRequest).where(
            and_(EmbeddingRequest.prospect_id.in_([p for p, _ in handled]))).values(leased_until=None))


async def pending(session: AsyncSession) -> int:
    """How many prospects wait for their embedding."""
    return (await session.execute(select(func.count()).select_from(EmbeddingRequest))).scalar_one()


async def vector_of(session: AsyncSession, prospect_id: uuid.UUID) -> Any | None:
    return (await session.execute(select(ProspectEmbedding.embedding)
                                  .where(ProspectEmbedding.prospect_id == prospect_id))).scalar_one_or_none()
