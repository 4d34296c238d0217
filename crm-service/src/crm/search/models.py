"""The prospect search documents apart from the prospects: the same tsvector as `prospects.search_document`, copied
by a trigger in the statement that changed it (migration `prospect search documents apart`). Ranking a common
word reads every matching document; here they fill 30 MB at 100,000 prospects instead of the 67 MB of whole
prospect rows. Read-only for the application."""
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base


class ProspectSearch(Base):
    __tablename__ = "prospect_search"
    __table_args__ = (Index("ix_prospect_search_document", "document", postgresql_using="gin"),)

    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True)
    document: Mapped[Any] = mapped_column(TSVECTOR)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # when the document last changed
