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
    consumer_max_in_flight: int = Field(256, ge=1, le=512, description=(
        "Events (of different people) the consumer applies at once; none holds a database connection across its "
        "calls to the other service, and their writes to the ATS and CRM go out together as batch requests (at "
        "most two in flight per service), so this bounds how much work waits in those batches, not the load. "
        "`make bench`: a 10,000-event backlog drained at 127 events/s with 16, 157 with 64, 209 with 256."))
    http_timeout_seconds: float = 10.0
    silver_medalist_min_stage: Literal["screen", "interview", "offer"] = Field(
        "interview", description="A rejection at this stage kind or later makes a silver medalist.")
    policy_cache_seconds: float = Field(1.0, gt=0, description="A field-policy change applies on every replica within this time.")
    resync_runner_enabled: bool = Field(True, description="Run queued resync jobs in this process.")
    resync_concurrency: int = Field(4, ge=1, le=32, description="Links a resync job re-applies at once.")
    resync_batch: int = Field(25, ge=1, le=500, description="Links read (and progress saved) per step.")
    resync_lease_seconds: float = Field(30.0, gt=0, description="A running job whose runner was silent this long is taken over.")
    resync_poll_seconds: float = Field(5.0, gt=0, description=(
        "How often an idle runner looks for jobs queued elsewhere (a job queued on this replica wakes it at once)."))
    resync_link_attempts: int = Field(3, ge=1, description="Tries per link on a transient failure before it counts as failed.")
    dead_letter_alert_threshold: int = Field(3, ge=1, description="Dead letters within the window that degrade health and alert.")
    dead_letter_alert_window_seconds: float = Field(600.0, gt=0, description="The dead-letter alert window.")
