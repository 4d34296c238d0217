"""Every ATS table, imported so that Alembic and the model/migration check see them all."""
from ats.candidates.models import Candidate
from ats.db import Base, platform

__all__ = ["Base", "Candidate", "platform"]
