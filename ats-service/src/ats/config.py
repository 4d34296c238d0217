"""ATS settings (env prefix `ATS_`; Kafka and keys are platform-wide)."""
from pydantic_settings import SettingsConfigDict
from talentkit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ATS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:54320/ats"
    resume_phone_region: str = "US"  # how a resume's national phone numbers (no +country code) are read
