"""Field-policy overrides set at runtime (the defaults live in shared-schemas)."""
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sync_gateway.db import Base


class FieldPolicyOverride(Base):
    """An admin's runtime change of one field's ownership mode, with the history of every change."""

    __tablename__ = "field_policy_overrides"

    field: Mapped[str] = mapped_column(Text, primary_key=True)
    mode: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)  # the audit of every change

    def change(self, mode: str, *, actor: str, at: datetime) -> dict[str, Any]:
        """Set the mode, bump the version and keep who changed it from what; returns the history entry."""
        entry = {"at": at.isoformat(), "by": actor, "from": self.mode, "to": mode}
        self.mode, self.version, self.updated_by, self.updated_at = mode, (self.version or 0) + 1, actor, at
        self.history = [*(self.history or []), entry]
        return entry
