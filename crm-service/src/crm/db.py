"""The CRM's declarative base and its platform tables (outbox, processed events, idempotency, API keys)."""
from sqlalchemy.orm import DeclarativeBase
from talentkit.db import new_metadata, platform_tables

SOURCE = "/crm"  # the CloudEvents source of everything the CRM publishes


class Base(DeclarativeBase):
    metadata = new_metadata()


platform = platform_tables(Base.metadata, personal_data=True)  # events carry personal data: sealed per person
