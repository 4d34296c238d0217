"""Sending settings (env prefix `CRM_`)."""
from typing import Annotated

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict
from talentkit.settings import PlatformSettings, Secret

DEV_TRACKING_SECRET = "dev-tracking-secret"


class SendingSettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", extra="ignore")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_timeout_seconds: float = 15.0
    mail_from: str = "recruiting@example.com"
    public_base_url: str = "http://127.0.0.1:8002"
    # signs tracking links, public-page links and CSRF tokens: refused outside development when left at its default
    tracking_secret: Annotated[SecretStr, Secret(DEV_TRACKING_SECRET)] = SecretStr(DEV_TRACKING_SECRET)
    sms_provider_url: str | None = None
    scheduler_enabled: bool = True
    scheduler_poll_seconds: float = 5.0
