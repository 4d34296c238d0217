"""Gateway settings (env prefix `GATEWAY_`; Kafka and keys are platform-wide)."""
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from talentkit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:54320/gateway"
    ats_url: str = Field("http://127.0.0.1:8001", description="Base URL of the ATS API.")
    crm_url: str = Field("http://127.0.0.1:8002", description="Base URL of the CRM API.")
    consumer_group: str = "sync-gateway"
    consumer_enabled: bool = True
    http_timeout_seconds: float = 10.0
    silver_medalist_min_stage: Literal["screen", "interview", "offer"] = Field(
        "interview", description="A rejection at this stage kind or later makes a silver medalist.")
