"""Every CRM table, imported so that Alembic and the model/migration check see them all."""
from crm.db import Base, platform
from crm.prospects.models import Prospect

__all__ = ["Base", "Prospect", "platform"]
