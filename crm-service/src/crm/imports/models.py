"""An import: an uploaded CSV of prospects worked through in the background, with its progress and row errors."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.errors import Conflict

from crm.db import Base


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


UNFINISHED = (ImportStatus.QUEUED, ImportStatus.RUNNING)


class ProspectImport(Base):
    """The file (kept until the import ends), how it was read, the options, and the counts so far. `processed`
    is also where a worker resumes: rows before it were applied in the same commits that counted them."""

    __tablename__ = "prospect_imports"
    __table_args__ = (
        # the same file with the same options is one import (unless cancelled): a re-upload returns it
        Index("uq_prospect_imports_file", "sha256", "options_key", unique=True,
              postgresql_where=text("status <> 'cancelled'")),
        Index("uq_prospect_imports_idempotency", "principal_key", "idempotency_key", unique=True,
              postgresql_where=text("idempotency_key IS NOT NULL")),
        Index("ix_prospect_imports_unfinished", "created_at", postgresql_where=text("status IN ('queued', 'running')")),
        Index("ix_prospect_imports_created", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    status: Mapped[str] = mapped_column(Text, default=ImportStatus.QUEUED)
    filename: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(Text)
    options: Mapped[dict[str, Any]] = mapped_column(JSONB)
    options_key: Mapped[str] = mapped_column(Text, comment="canonical JSON of options: part of the re-upload identity")
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True, comment="the file; dropped when the import ends")
    encoding: Mapped[str] = mapped_column(Text)
    delimiter: Mapped[str] = mapped_column(Text)
    columns: Mapped[dict[str, str]] = mapped_column(JSONB, comment="header cell -> prospect field")
    unknown_columns: Mapped[list[str]] = mapped_column(JSONB)
    total: Mapped[int] = mapped_column(Integer)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    principal_key: Mapped[str] = mapped_column(Text, comment="the uploading credential's id (idempotency scope)")
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    on_behalf_of: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def unfinished(self) -> bool:
        return self.status in UNFINISHED

    def cancel(self) -> None:
        """Stop before the next rows; what was imported stays. 409 once finished."""
        if not self.unfinished:
            raise Conflict(f"The import is {self.status}; only a queued or running import can be cancelled.",
                           import_status=self.status)
        self._finish(ImportStatus.CANCELLED)

    def advanced(self, *, rows: int, created: int, updated: int, skipped: int, failed: int) -> None:
        """Count a chunk of rows; the import completes with its last row."""
        self.processed += rows
        self.created, self.updated = self.created + created, self.updated + updated
        self.skipped, self.failed = self.skipped + skipped, self.failed + failed
        self.status, self.updated_at = ImportStatus.RUNNING, datetime.now(UTC)
        if self.processed >= self.total:
            self._finish(ImportStatus.COMPLETED)

    def broke(self, error: str) -> None:
        """The file could not be worked through (never expected: it was read at upload)."""
        self.error = error
        self._finish(ImportStatus.FAILED)

    def _finish(self, status: ImportStatus) -> None:
        self.status, self.content = status, None
        self.finished_at = self.updated_at = datetime.now(UTC)


class ImportRowError(Base):
    """Why one row (its line in the file) was not imported, and the column at fault when there is one."""

    __tablename__ = "prospect_import_errors"
    __table_args__ = (Index("ix_prospect_import_errors_import", "import_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospect_imports.id", ondelete="CASCADE"))
    row: Mapped[int] = mapped_column(Integer, comment="line in the file where the row starts (the header is 1)")
    column: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text, comment="the cell as it was, cut to 200 characters")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
