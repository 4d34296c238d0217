"""The last sequence applied per aggregate, so an older event never overwrites a newer one."""
from sqlalchemy import BigInteger, Text
from sqlalchemy.orm import Mapped, mapped_column

from sync_gateway.db import Base


class AggregateCursor(Base):
    __tablename__ = "aggregate_cursors"

    side: Mapped[str] = mapped_column(Text, primary_key=True)
    aggregate_id: Mapped[str] = mapped_column(Text, primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger)
