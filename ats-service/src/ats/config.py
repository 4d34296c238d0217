"""ATS settings (env prefix `ATS_`; Kafka and keys are platform-wide)."""
from pydantic import Field
from pydantic_settings import SettingsConfigDict
from talentkit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ATS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:54320/ats"
    retention_enabled: bool = True
    retention_interval_seconds: float = Field(3600.0, gt=0, description="How often the retention job runs.")
