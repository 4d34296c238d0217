"""The prospect table."""
from sqlalchemy import Index

from crm.db import Base
from talentkit.profiles.models import ProfileMixin


class Prospect(ProfileMixin, Base):
    """A person the CRM knows: sourced, referred, met at an event, signed up, or imported from the ATS."""

    __tablename__ = "prospects"
    __table_args__ = (
        Index("ix_prospects_emails", "emails", postgresql_using="gin"),
        Index("ix_prospects_created", "created_at", "id"),
        Index("ix_prospects_updated", "updated_at"),
    )
