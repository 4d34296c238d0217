"""Settings shared by every service; each service subclasses with its own env prefix (ATS_, CRM_, GATEWAY_)."""
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_ADMIN_KEY = "dev-admin-key"
DEV_GATEWAY_KEY = "dev-gateway-key"


class ServiceSettings(BaseSettings):
    """Database, Kafka and key settings; `database_url` takes the service prefix, the rest are platform-wide."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:54320/postgres"
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS")
    )
    environment: str = Field("development", validation_alias=AliasChoices("TALENT_ENVIRONMENT"))
    admin_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("TALENT_ADMIN_API_KEY"))
    gateway_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("TALENT_GATEWAY_API_KEY"))
    kafka_topic_partitions: int = Field(
        12, ge=1, validation_alias=AliasChoices("KAFKA_TOPIC_PARTITIONS"),
        description="Partitions of every topic the platform creates (or grows to); the most consumers a group can use.",
    )
    log_level: str = "INFO"
    relay_enabled: bool = True
    relay_poll_seconds: float = 0.05

    @field_validator("database_url")
    @classmethod
    def _asyncpg_driver(cls, value: str) -> str:
        for plain in ("postgresql://", "postgres://"):
            if value.startswith(plain):
                return "postgresql+asyncpg://" + value[len(plain):]
        return value

    @model_validator(mode="after")
    def _no_default_secrets_outside_development(self) -> "ServiceSettings":
        if self.environment != "development":
            for key, default in ((self.admin_api_key, DEV_ADMIN_KEY), (self.gateway_api_key, DEV_GATEWAY_KEY)):
                if key is not None and key.get_secret_value() == default:
                    raise ValueError(f"the development key {default!r} is refused outside development")
        return self
