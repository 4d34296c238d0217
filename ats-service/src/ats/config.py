"""ATS settings (env prefix `ATS_`; Kafka and keys are platform-wide)."""
from typing import Annotated

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict
from talentkit.settings import Secret, ServiceSettings, signing_keys
from talentkit.tokens import TokenSigner

DEV_PUBLIC_SIGNING_KEYS = "dev:dev-ats-public-signing-secret-refused-outside-development"
DEV_BACKGROUND_CHECK_WEBHOOK_SECRET = "dev-background-check-webhook-secret"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ATS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:54320/ats"
    retention_enabled: bool = True
    retention_interval_seconds: float = Field(3600.0, gt=0, description="How often the retention job runs.")
    resume_phone_region: str = "US"  # how a resume's national phone numbers (no +country code) are read
    public_base_url: str = Field("http://127.0.0.1:8001", description="Where candidates reach /careers and /public.")
    # `kid:secret,...` signing self-scheduling links and CSRF tokens: the first signs, all verify (rotation).
    public_signing_keys: Annotated[SecretStr, Secret(DEV_PUBLIC_SIGNING_KEYS, keyed=True)] = SecretStr(DEV_PUBLIC_SIGNING_KEYS)
    public_rate_limit_per_minute: int = Field(20, ge=1, description="Form posts per minute per client address.")
    company_name: str = "Acme Corp"
    company_url: str = "https://www.example.com"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_timeout_seconds: float = 15.0
    mail_from: str = "recruiting@example.com"
    # The worker that sends mail, hands hires to the HRIS and opens background checks, after their commit.
    tasks_enabled: bool = True
    tasks_poll_seconds: float = 2.0
    task_max_attempts: int = Field(6, ge=1, le=50)
    task_retry_base_seconds: float = Field(30.0, gt=0, le=86_400, description="Retry n waits base × 2^(n-1).")
    hris_url: str | None = Field(None, description="The HRIS adapter's base URL (POST {url}/employees); unset: hires wait.")
    hris_api_key: SecretStr | None = None
    background_check_url: str | None = Field(None, description="The background-check provider's base URL.")
    background_check_api_key: SecretStr | None = None
    background_check_webhook_secret: Annotated[SecretStr, Secret(DEV_BACKGROUND_CHECK_WEBHOOK_SECRET)] = SecretStr(
        DEV_BACKGROUND_CHECK_WEBHOOK_SECRET)
    background_check_webhook_tolerance_seconds: int = Field(300, ge=10, le=3600)
    adverse_action_wait_days: int = Field(5, ge=1, le=60, description="Days between the pre-adverse and the adverse notice.")

    def signer(self) -> TokenSigner:
        """Signs the ATS's public tokens with the first key; verifies with every key."""
        return TokenSigner(signing_keys(self.public_signing_keys.get_secret_value()))
