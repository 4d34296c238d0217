"""Alembic environment for the sync-gateway database."""
from sync_gateway.config import Settings
from sync_gateway.models import Base
from talentkit.alembic_env import run_migrations

run_migrations(Base.metadata, Settings().database_url)
