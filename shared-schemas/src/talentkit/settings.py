"""Settings shared by every service; each service subclasses with its own env prefix (ATS_, CRM_, GATEWAY_).

Secrets are declared `Annotated[SecretStr, Secret(<development value>)]`: outside `development` a secret equal to
its development value, or shorter than `MIN_SECRET_LENGTH`, stops the service at start-up."""
import ipaddress
from dataclasses import dataclass
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_ADMIN_KEY = "dev-admin-key"
DEV_GATEWAY_KEY = "dev-gateway-key"
DEV_OAUTH_SIGNING_KEYS = "dev:dev-oauth-signing-secret-refused-outside-development"
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class Secret:
    """Marks a secret setting; `keyed` secrets are `kid:secret,...` lists whose every secret is checked."""

    development_value: str
    keyed: bool = False

    def parts(self, raw: str) -> list[str]:
        return [p.partition(":")[2] for p in raw.split(",")] if self.keyed else [raw]


def signing_keys(raw: str) -> list[tuple[str, str]]:
    """`kid:secret,kid:secret` as (kid, secret) pairs, in order (the first signs, all verify)."""
    pairs = [tuple(p.strip().split(":", 1)) for p in raw.split(",") if p.strip()]
    if not pairs or any(len(p) != 2 or not p[0] or not p[1] for p in pairs):
        raise ValueError("expected `kid:secret[,kid:secret...]`")
    return pairs  # type: ignore[return-value]


class PlatformSettings(BaseSettings):
    """The base of every settings class: knows the environment and refuses development secrets outside it."""

    model_config = SettingsConfigDict(extra="ignore")

    environment: str = Field("development", validation_alias=AliasChoices("TALENT_ENVIRONMENT"))

    @model_validator(mode="after")
    def _no_development_secrets_outside_development(self) -> "PlatformSettings":
        if self.environment == "development":
            return self
        for name, info in type(self).model_fields.items():
            marker = next((m for m in info.metadata if isinstance(m, Secret)), None)
            value = getattr(self, name)
            if marker is None or value is None:
                continue
            raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
            env = _env_name(self, name, info.validation_alias)
            refused = {marker.development_value, *marker.parts(marker.development_value)}
            if raw in refused or refused & set(marker.parts(raw)):
                raise ValueError(f"{env}: the development value is refused outside development")
            if any(len(p) < MIN_SECRET_LENGTH for p in marker.parts(raw)):
                raise ValueError(f"{env}: secrets must be at least {MIN_SECRET_LENGTH} characters outside development")
        return self


def _env_name(settings: BaseSettings, name: str, alias: object) -> str:
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"{settings.model_config.get('env_prefix', '')}{name}".upper()


class ServiceSettings(PlatformSettings):
    """Database, Kafka, keys, OAuth, proxies and rate limits; `database_url` takes the service prefix, the rest are
    platform-wide (`TALENT_...`)."""

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:54320/postgres"
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS")
    )
    admin_api_key: Annotated[SecretStr | None, Secret(DEV_ADMIN_KEY)] = Field(
        None, validation_alias=AliasChoices("TALENT_ADMIN_API_KEY"))
    gateway_api_key: Annotated[SecretStr | None, Secret(DEV_GATEWAY_KEY)] = Field(
        None, validation_alias=AliasChoices("TALENT_GATEWAY_API_KEY"))
    oauth_signing_keys: Annotated[SecretStr, Secret(DEV_OAUTH_SIGNING_KEYS, keyed=True)] = Field(
        SecretStr(DEV_OAUTH_SIGNING_KEYS), validation_alias=AliasChoices("TALENT_OAUTH_SIGNING_KEYS"),
        description="`kid:secret,...`: the first signs access tokens, all verify (rotate with an overlap).")
    oauth_issuer: str = Field("talent-platform", validation_alias=AliasChoices("TALENT_OAUTH_ISSUER"))
    oauth_audience: str = Field("talent-api", validation_alias=AliasChoices("TALENT_OAUTH_AUDIENCE"))
    oauth_token_seconds: int = Field(900, ge=60, le=3600, validation_alias=AliasChoices("TALENT_OAUTH_TOKEN_SECONDS"))
    trusted_proxies: str = Field("", validation_alias=AliasChoices("TALENT_TRUSTED_PROXIES"),
                                 description="Comma-separated IPs/CIDRs whose X-Forwarded-For/-Proto are believed.")
    rate_limit_per_minute: int = Field(1000, ge=1, validation_alias=AliasChoices("TALENT_RATE_LIMIT_PER_MINUTE"),
                                       description="Requests per minute per API key or OAuth client, unless set on it.")
    key_cache_seconds: float = Field(5.0, ge=0, le=300, validation_alias=AliasChoices("TALENT_KEY_CACHE_SECONDS"),
                                     description="How long a process trusts a looked-up key (revocation delay).")
    kafka_topic_partitions: int = Field(
        12, ge=1, validation_alias=AliasChoices("KAFKA_TOPIC_PARTITIONS"),
        description="Partitions of every topic the platform creates (or grows to); the most consumers a group can use.",
    )
    log_level: str = "INFO"
    relay_enabled: bool = True
    relay_poll_seconds: float = Field(5.0, gt=0, description="The outbox relay wakes on NOTIFY at each commit; this is "
                                      "how often it looks anyway (a safety net), not a polling interval.")
    relay_linger_seconds: float = Field(0.01, ge=0, description="Under a stream of commits the relay waits this long "
                                        "between rounds, so that the commits of those milliseconds share one Kafka "
                                        "produce request (a lone commit is published at once).")
    # A request waits at most this long for a pooled connection, then answers 503 with Retry-After (never a 500).
    db_pool_timeout_seconds: float = 5.0

    @field_validator("database_url")
    @classmethod
    def _asyncpg_driver(cls, value: str) -> str:
        for plain in ("postgresql://", "postgres://"):
            if value.startswith(plain):
                return "postgresql+asyncpg://" + value[len(plain):]
        return value

    @field_validator("oauth_signing_keys")
    @classmethod
    def _keyed(cls, value: SecretStr) -> SecretStr:
        signing_keys(value.get_secret_value())
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for item in filter(None, (p.strip() for p in value.split(","))):
            ipaddress.ip_network(item, strict=False)  # ValueError names the bad entry
        return value

    def trusted_proxy_list(self) -> list[str]:
        """The configured proxies (IPs or CIDRs); empty: trust no proxy header."""
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]
