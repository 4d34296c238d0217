"""Tombstones: what is left of an erased person's link — a hash of each email, so the gateway never silently
re-imports them into the other system."""
from datetime import datetime

from shared_schemas.erasure import email_hash
from sqlalchemy import DateTime, Text, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from sync_gateway.db import Base


class Tombstone(Base):
    __tablename__ = "tombstones"

    email_hash: Mapped[str] = mapped_column(Text, primary_key=True)
    erased_on: Mapped[str] = mapped_column(Text)  # the side where the erasure started: ats | crm
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


async def bury(session: AsyncSession, hashes: list[str], side: str) -> None:
    if hashes:
        await session.execute(insert(Tombstone).values([{"email_hash": h, "erased_on": side} for h in hashes])
                              .on_conflict_do_nothing())


async def buried(session: AsyncSession, emails: list[str]) -> bool:
    """True when any of these addresses belongs to an erased person."""
    if not emails:
        return False
    hashes = [email_hash(e) for e in emails]
    return (await session.execute(select(Tombstone.email_hash).where(Tombstone.email_hash.in_(hashes)).limit(1))).first() is not None
