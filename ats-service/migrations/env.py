"""Alembic environment for the ats-service database."""
from ats.config import Settings
from ats.models import Base
from talentkit.alembic_env import run_migrations

run_migrations(Base.metadata, Settings().database_url)
