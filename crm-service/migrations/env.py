"""Alembic environment for the crm-service database."""
from crm.config import Settings
from crm.models import Base
from talentkit.alembic_env import run_migrations

run_migrations(Base.metadata, Settings().database_url)
