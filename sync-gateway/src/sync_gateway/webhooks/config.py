"""Webhook settings (env prefix `GATEWAY_WEBHOOKS_`)."""
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from sync_gateway.webhooks.ssrf import Destinations

# About three days in all: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
DEFAULT_RETRY_SCHEDULE = [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 50400.0, 72000.0, 86400.0]


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_WEBHOOKS_", extra="ignore")

    enabled: bool = Field(True, description="Run the fan-out consumer and the dispatcher in this process "
                          "(false in the sync process when `talent-gateway webhooks` runs them elsewhere).")
    destinations: Destinations = Field(
        Destinations.PUBLIC, description="Where webhooks may go: `public` (public internet addresses only), "
        "`public_and_loopback` (local development) or `loopback` (tests and benchmarks: this machine only).")
    consumer_group: str = "sync-gateway-webhooks"
    retry_schedule: list[float] = Field(default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE),
                                        description="Seconds before each retry; a delivery fails after the last.")
    jitter: float = Field(0.1, ge=0, le=1, description="Each delay is scaled by a random factor in [1-jitter, 1+jitter].")
    max_retry_after_seconds: float = Field(86400.0, description="Cap on a receiver's Retry-After.")
    disable_after_failing_seconds: float = Field(3 * 86400.0, description="An endpoint failing this long is disabled.")
    timeout_seconds: float = Field(10.0, gt=0, description="Whole-attempt limit: connect, send, first KiB of the answer.")
    idle_seconds: float = Field(60.0, gt=0, description="Longest idle wait of the dispatcher between checks; it wakes at "
                                "once on a new delivery (LISTEN/NOTIFY) and when the next retry is due.")
    max_in_flight: int = Field(64, ge=1, description="Sends in flight per dispatcher process.")
    max_in_flight_per_endpoint: int = Field(8, ge=1, description="Sends in flight to one endpoint, so a slow one "
                                            "cannot take every slot.")
    fanout_batch: int = Field(500, ge=1, description="Kafka records turned into deliveries per transaction.")
    rotation_overlap_seconds: float = Field(86400.0, description="How long the previous secret keeps signing after a rotation.")

    @property
    def lease_seconds(self) -> float:
        """How long a claimed delivery stays with its dispatcher: a crash mid-send retries after this."""
        return self.timeout_seconds + 30
