"""CRM settings (env prefix `CRM_`; Kafka and keys are platform-wide)."""
from pydantic_settings import SettingsConfigDict
from talentkit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:54320/crm"
    embedding_poll_seconds: float = 0.5  # how often the embedding worker looks for changed prospects when idle
    saved_search_check_seconds: float = 60.0  # how often saved searches look for new matches
    openness_alert_threshold: int = 60  # an openness score (0-100) at or above this alerts the prospect's owner
    openness_check_seconds: float = 300.0  # how often prospects' openness is checked against the threshold
