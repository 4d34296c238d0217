"""Webhook settings (env prefix `GATEWAY_WEBHOOKS_`)."""
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# About three days in all: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
DEFAULT_RETRY_SCHEDULE = [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 50400.0, 72000.0, 86400.0]


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_WEBHOOKS_", extra="ignore")

    enabled: bool = Field(True, description="Run the fan-out consumer and the dispatcher.")
    consumer_group: str = "sync-gateway-webhooks"
    allow_loopback: bool = Field(False, description="Allow 127.0.0.0/8 and ::1 destinations (local development, tests).")
    retry_schedule: list[float] = Field(default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE),
                                        description="Seconds before each retry; a delivery fails after the last.")
    jitter: float = Field(0.1, ge=0, le=1, description="Each delay is scaled by a random factor in [1-jitter, 1+jitter].")
    max_retry_after_seconds: float = Field(86400.0, description="Cap on a receiver's Retry-After.")
    disable_after_failing_seconds: float = Field(3 * 86400.0, description="An endpoint failing this long is disabled.")
    timeout_seconds: float = 10.0
    poll_seconds: float = 0.5
    batch_size: int = 20
    rotation_overlap_seconds: float = Field(86400.0, description="How long the previous secret keeps signing after a rotation.")
