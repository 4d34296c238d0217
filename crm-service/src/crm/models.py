"""Every CRM table, imported so that Alembic and the model/migration check see them all."""
from crm.activities.models import Activity
from crm.db import Base, platform
from crm.pools.models import Pool, PoolMember, PoolStage
from crm.prospects.models import Prospect

__all__ = ["Activity", "Base", "Pool", "PoolMember", "PoolStage", "Prospect", "platform"]
