"""Sending settings (env prefix `CRM_`)."""
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class SendingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", extra="ignore")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_timeout_seconds: float = 15.0
    mail_from: str = "recruiting@example.com"
    public_base_url: str = "http://127.0.0.1:8002"
    tracking_secret: SecretStr = SecretStr("dev-tracking-secret")
    sms_provider_url: str | None = None
    scheduler_enabled: bool = True
    scheduler_poll_seconds: float = 5.0
