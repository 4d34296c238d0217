"""A prospect's embedding, and the request to (re)compute it.

A trigger on `prospects` (migration `search and embeddings`) upserts the request in the same transaction as the
change, so none is ever lost; two edits before the worker runs leave one request, embedded once, with the text as
it then is."""
import uuid
from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import DateTime, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.embeddings import DIMENSIONS

from crm.db import Base


class ProspectEmbedding(Base):
    __tablename__ = "prospect_embeddings"
    __table_args__ = (Index("ix_prospect_embeddings_hnsw", "embedding", postgresql_using="hnsw",
                            postgresql_ops={"embedding": "vector_cosine_ops"}),)

    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True)
    embedding: Mapped[Any] = mapped_column(Vector(DIMENSIONS))
    text_sha256: Mapped[str] = mapped_column(Text)  # of the text embedded: an unchanged text is not embedded again
    model: Mapped[str] = mapped_column(Text)
    embedded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EmbeddingRequest(Base):
    __tablename__ = "embedding_requests"

    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
