"""Import settings (env prefix `CRM_`)."""
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ImportSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_IMPORT_", extra="ignore")

    max_bytes: int = Field(10_000_000, ge=1, description="largest upload; bigger is 413")
    max_rows: int = Field(50_000, ge=1, description="most data rows in one file; more is 422")
    worker_enabled: bool = True
    poll_seconds: float = Field(2.0, gt=0, description="how often an idle worker looks for uploads of other replicas")
