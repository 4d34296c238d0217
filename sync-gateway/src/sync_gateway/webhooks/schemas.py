"""Webhook endpoint and delivery bodies."""
import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sync_gateway.webhooks import filters

TYPES_HELP = ("Event types to receive, from both systems: exact (`ats.candidate.created.v1`), a prefix "
              "(`ats.application.*`, `crm.*`) or `*` for everything.")


URL_HELP = ("HTTPS (or HTTP) URL that receives the POSTs. Refused with 422: internal addresses (private, loopback, "
            "link-local, CGNAT, multicast, reserved, IPv6 forms carrying an IPv4 address), IPv4 written other than as "
            "four decimal numbers, credentials in the URL. A host name is checked again, every address it resolves "
            "to, at each attempt.")


class DeliveryStatus(StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


def _check_types(value: list[str] | None) -> list[str] | None:
    if value is None:
        return value
    bad = [t for t in value if not filters.valid(t)]
    if bad:
        raise ValueError(f"not an event type or prefix pattern: {', '.join(bad)}")
    return list(dict.fromkeys(value))


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, description=URL_HELP)
    event_types: list[str] = Field(min_length=1, max_length=100, description=TYPES_HELP)
    description: str | None = Field(None, max_length=500)

    _types = field_validator("event_types")(_check_types)


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, max_length=2000, description=URL_HELP)
    event_types: list[str] | None = Field(None, min_length=1, max_length=100, description=TYPES_HELP)
    description: str | None = Field(None, max_length=500)

    _types = field_validator("event_types")(_check_types)


class EndpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool = Field(description="False once disabled, by hand or by the gateway (410 Gone, or every delivery "
                          "failing for 3 days): nothing is sent until it is enabled again.")
    disabled_reason: str | None = Field(description="Why the endpoint was disabled (410 Gone, 3 days failing, by hand).")
    disabled_at: datetime | None
    failing_since: datetime | None = Field(description="Start of the current run of failed attempts, if any.")
    previous_secret_expires_at: datetime | None = Field(
        description="Until then the previous secret signs too (after a rotation).")
    version: int
    created_by: str
    updated_by: str
    created_at: datetime
    updated_at: datetime


class EndpointSecret(BaseModel):
    secret: str = Field(description="`whsec_…`: verify deliveries with it (e.g. `standardwebhooks.Webhook(secret)`).")
    previous_secret: str | None = Field(None, description="Still signing until `previous_secret_expires_at`.")
    previous_secret_expires_at: datetime | None = None


class EndpointCreated(EndpointRead):
    secret: str = Field(description="The signing secret, `whsec_…`. Also at `GET …/secret`.")


class RotateSecret(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap_seconds: float | None = Field(None, ge=0, le=7 * 86400,
                                          description="How long the old secret keeps signing (default 24 h).")


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    status: str = Field(description="`succeeded` or `failed`.")
    response_status: int | None
    latency_ms: float | None
    response_excerpt: str | None = Field(description="The first KiB of the response body.")
    error: str | None = Field(description="Network error or refused destination, when there was no response.")
    next_attempt_at: datetime | None
    attempted_at: datetime


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: str = Field(description="The CloudEvent id, sent as `webhook-id` on every attempt and replay.")
    event_type: str
    status: str = Field(description="`pending` (due at `next_attempt_at`; with no `next_attempt_at` it waits for its "
                        "disabled endpoint), `succeeded`, or `failed` (the retries over about three days ran out, or "
                        "the endpoint answered 410).")
    attempt_count: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    created_at: datetime
    attempts: list[AttemptRead]
