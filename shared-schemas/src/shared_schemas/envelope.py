"""CloudEvents 1.0 envelope in Kafka binary mode: attributes in `ce_*` headers, JSON data in the value."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"

# CloudEvents attribute -> Kafka header. Extension names follow the spec (lowercase alphanumerics).
_HEADER_ATTRS = ("id", "source", "type", "subject", "time", "sequence", "origin", "causationid", "traceparent")


class InvalidEvent(ValueError):
    """A Kafka record that is not a readable CloudEvent of ours."""


class EventEnvelope(BaseModel):
    """One event as it travels on Kafka: CloudEvents context attributes plus JSON data."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), description="Unique event id; consumers deduplicate on it.")
    source: str = Field(description="URI-reference of the producing service, e.g. `/ats`.")
    type: str = Field(description="Event type, e.g. `ats.candidate.created.v1`.")
    subject: str = Field(description="Aggregate id; also the Kafka key, so one aggregate's events stay ordered.")
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    sequence: int = Field(ge=0, description="Per-aggregate version after the change (extension `sequence`).")
    data: dict[str, Any]
    origin: str | None = Field(default=None, description="Principal whose write caused the event (extension `origin`).")
    causationid: str | None = Field(default=None, description="Id of the event that caused this write, if any.")
    traceparent: str | None = Field(default=None, description="W3C trace context (extension `traceparent`).")

    @property
    def key(self) -> bytes:
        """The Kafka message key: the aggregate id."""
        return self.subject.encode()

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        """Binary-mode headers: `ce_specversion`, `ce_id`, ..., and `content-type`."""
        headers = [("ce_specversion", SPECVERSION.encode()), ("content-type", CONTENT_TYPE.encode())]
        for attr in _HEADER_ATTRS:
            value = getattr(self, attr)
            if value is None:
                continue
            if isinstance(value, datetime):
                value = value.astimezone(UTC).isoformat().replace("+00:00", "Z")
            headers.append((f"ce_{attr}", str(value).encode()))
        return headers

    def kafka_value(self) -> bytes:
        """The record value: the event data as compact JSON."""
        return json.dumps(self.data, separators=(",", ":"), default=str).encode()

    @classmethod
    def from_kafka(cls, headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], value: bytes | None) -> EventEnvelope:
        """Read a binary-mode record; raise InvalidEvent with the reason when it is not one."""
        attrs: dict[str, str] = {}
        for name, raw in headers or ():
            if name.startswith("ce_") and raw is not None:
                try:
                    attrs[name[3:]] = raw.decode()
                except UnicodeDecodeError as exc:
                    raise InvalidEvent(f"header {name} is not UTF-8") from exc
        if attrs.pop("specversion", None) != SPECVERSION:
            raise InvalidEvent("missing or unsupported ce_specversion")
        # id and time have defaults for producers; on read they would be invented (a fresh id defeats
        # deduplication, the reader's clock corrupts latest-wins), so a record must carry them.
        for required in ("id", "time"):
            if not attrs.get(required):
                raise InvalidEvent(f"missing ce_{required}")
        try:
            data = json.loads(value or b"")
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidEvent(f"value is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise InvalidEvent("value must be a JSON object")
        try:
            return cls(data=data, **{k: v for k, v in attrs.items() if k in _HEADER_ATTRS})
        except ValueError as exc:
            raise InvalidEvent(f"bad CloudEvent attributes: {exc}") from exc
