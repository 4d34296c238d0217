"""The gateway's declarative base and its platform tables."""
from sqlalchemy.orm import DeclarativeBase
from talentkit.db import new_metadata, platform_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


platform = platform_tables(Base.metadata)
