"""CRM settings (env prefix `CRM_`; Kafka and keys are platform-wide)."""
from pydantic import Field
from pydantic_settings import SettingsConfigDict
from talentkit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:54320/crm"
    # How often the idle embedding and bulk-push workers look for work: a commit of this process wakes them at once,
    # so this only bounds how late they find work another replica queued.
    embedding_poll_seconds: float = 5.0
    embedding_process: bool = Field(True, description=(
        "compute the embedding worker's (background) embeddings in a separate low-priority process, so they take "
        "neither the GIL nor a core's priority from writes and sync; False: in a thread of this process"))
    embedding_nice: int = Field(10, ge=0, le=19, description="how much lower that process's CPU priority is (nice)")
    embedding_busy_rest: float = Field(4.0, ge=0, le=100, description=(
        "while requests keep the CRM busy (in flight a tenth of the time or more), the embedding worker rests this "
        "many times as long as its last round took, so background embedding takes at most about 1/(1 + this) of "
        "the time it otherwise would and the requests get the rest; it catches up at full speed once they stop "
        "(0: never rests)"))
    saved_search_check_seconds: float = 60.0  # how often saved searches look for new matches
    openness_alert_threshold: int = 60  # an openness score (0-100) at or above this alerts the prospect's owner
    openness_check_seconds: float = 300.0  # how often prospects' openness is checked against the threshold
