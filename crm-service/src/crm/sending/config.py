"""Sending settings (env prefix `CRM_`)."""
from datetime import timedelta
from typing import Annotated

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict
from talentkit.settings import PlatformSettings, Secret

from crm.signing import Signer

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
    # Rotation: secrets that still verify (comma-separated) while links signed with them are in circulation.
    tracking_secrets_previous: SecretStr | None = None
    sms_provider_url: str | None = None
    scheduler_enabled: bool = True
    scheduler_poll_seconds: float = 5.0
    # A send that fails is retried after base × 4^(attempt-1) seconds; after `send_max_attempts` it is parked.
    send_max_attempts: int = Field(5, ge=1, le=50)
    send_retry_base_seconds: float = Field(60.0, gt=0, le=86_400)

    # Consent (GDPR): how long a consent lasts unless it says otherwise, by jurisdiction where it was collected
    # (`{"DE": 24, "FR": 36}`, JSON), and when the CRM asks for its renewal.
    consent_renewal_months: int = Field(24, ge=1, le=120, description="Default lifetime of a consent, in months.")
    consent_months_by_jurisdiction: dict[str, int] = Field(default_factory=dict)
    consent_renewal_notice_days: int = Field(30, ge=1, le=365, description="Renewal mail this many days before expiry.")
    consent_reminder_after_days: int = Field(14, ge=1, le=365, description="One reminder this long after the renewal mail.")
    art14_notice_lead_days: int = Field(3, ge=0, le=30, description="Art. 14 notice sent this long before it is due.")

    def consent_months(self, jurisdiction: str | None) -> int:
        """How long a consent collected in `jurisdiction` lasts (its country's setting, else the default)."""
        table = {k.upper(): v for k, v in self.consent_months_by_jurisdiction.items()}
        code = (jurisdiction or "").upper()
        return table.get(code) or table.get(code.split("-")[0]) or self.consent_renewal_months

    def signer(self) -> Signer:
        """Signs public tokens with the tracking secret; verifies with it and the previous ones."""
        previous = self.tracking_secrets_previous.get_secret_value().split(",") if self.tracking_secrets_previous else []
        return Signer([self.tracking_secret.get_secret_value(), *(p.strip() for p in previous)])

    def retry_delay(self, attempts: int) -> timedelta:
        """The backoff after the `attempts`-th failed send: base × 4^(attempts-1), at most six hours."""
        return timedelta(seconds=min(self.send_retry_base_seconds * 4 ** (attempts - 1), 6 * 3600))
