"""EventEnvelope speaks CloudEvents 1.0 Kafka binary mode, readable by the official SDK."""
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent
from cloudevents.v1.kafka.conversion import KafkaMessage, from_binary
from shared_schemas.envelope import EventEnvelope, InvalidEvent
from shared_schemas.events import REGISTRY, CandidateCreatedV1

CANDIDATE_ID = uuid.UUID("0b6a4a52-7f62-4a4e-9d52-55a4d1a2c001")
WHEN = datetime(2025, 3, 4, 12, 30, 15, 123456, tzinfo=UTC)


def _event(**overrides) -> EventEnvelope:
    payload = CandidateCreatedV1.model_validate(
        {
            "candidate": {
                "id": CANDIDATE_ID,
                "first_name": "Ada",
                "last_name": "Lovelace",
                "emails": ["ada@example.org"],
                "tags": ["python", "Zürich"],
                "version": 7,
                "created_at": WHEN,
                "updated_at": WHEN,
                "field_times": {"first_name": WHEN},
            }
        }
    )
    fields = {
        "source": "/ats",
        "type": "ats.candidate.created.v1",
        "subject": str(CANDIDATE_ID),
        "time": WHEN,
        "sequence": 7,
        "data": payload.model_dump(mode="json"),
        "origin": "gateway",
        "causationid": str(uuid.uuid4()),
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    }
    return EventEnvelope(**{**fields, **overrides})


def _headers(event: EventEnvelope, drop: str | None = None, **replace: bytes) -> list[tuple[str, bytes]]:
    out = [(k, replace.get(k, v)) for k, v in event.kafka_headers() if k != drop]
    return out + [(k, v) for k, v in replace.items() if k not in dict(out)]


def test_round_trip_through_kafka_headers_and_value_gives_the_same_event() -> None:
    event = _event()
    again = EventEnvelope.from_kafka(event.kafka_headers(), event.kafka_value())
    assert again == event
    assert REGISTRY[again.type].model_validate(again.data) == REGISTRY[event.type].model_validate(event.data)


def test_round_trip_keeps_optional_extensions_absent_and_accepts_aiokafka_tuple_headers() -> None:
    event = _event(origin=None, causationid=None, traceparent=None)
    headers = tuple(event.kafka_headers())
    assert not {"ce_origin", "ce_causationid", "ce_traceparent"} & {name for name, _ in headers}
    assert EventEnvelope.from_kafka(headers, event.kafka_value()) == event


def test_time_is_written_in_utc_with_z_and_reads_back_as_the_same_instant() -> None:
    event = _event(time=WHEN.astimezone(timezone(timedelta(hours=2))))
    assert dict(event.kafka_headers())["ce_time"] == b"2025-03-04T12:30:15.123456Z"
    assert EventEnvelope.from_kafka(event.kafka_headers(), event.kafka_value()).time == WHEN


def test_key_is_the_aggregate_id() -> None:
    assert _event().key == str(CANDIDATE_ID).encode()


def test_official_sdk_v1_kafka_binding_reads_our_record() -> None:
    event = _event()
    ce = from_binary(KafkaMessage(headers=dict(event.kafka_headers()), key=event.key, value=event.kafka_value()))
    assert ce["specversion"] == "1.0"
    assert (ce["id"], ce["type"], ce["source"], ce["subject"]) == (event.id, event.type, event.source, event.subject)
    assert datetime.fromisoformat(ce["time"]) == event.time
    assert ce["sequence"] == "7"
    assert ce["causationid"] == event.causationid and ce["traceparent"] == event.traceparent
    assert ce["datacontenttype"] == "application/json"
    assert ce.data == event.data


def test_official_sdk_core_kafka_binding_reads_our_record() -> None:
    event = _event()
    message = ce_kafka.KafkaMessage(headers=dict(event.kafka_headers()), key=event.key, value=event.kafka_value())
    ce = ce_kafka.from_binary_event(message)
    assert (ce.get_id(), ce.get_type(), ce.get_source(), ce.get_subject()) == (
        event.id,
        event.type,
        event.source,
        event.subject,
    )
    assert ce.get_time() == event.time
    assert ce.get_extension("sequence") == "7"
    assert ce.get_extension("origin") == "gateway"
    assert ce.get_extension("partitionkey") == str(CANDIDATE_ID)
    assert ce.get_data() == event.data


def test_we_read_a_record_the_official_sdk_wrote() -> None:
    source = _event()
    ce = CloudEvent(
        attributes={
            "id": source.id,
            "source": source.source,
            "type": source.type,
            "subject": source.subject,
            "time": source.time,
            "datacontenttype": "application/json",
            "sequence": "7",
        },
        data=source.data,
    )
    message = ce_kafka.to_binary_event(ce)
    event = EventEnvelope.from_kafka(list(message.headers.items()), message.value)
    assert (event.id, event.type, event.subject, event.time, event.sequence) == (
        source.id,
        source.type,
        source.subject,
        source.time,
        7,
    )
    assert event.data == source.data


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        (lambda e: _headers(e, drop="ce_specversion"), None, "ce_specversion"),
        (lambda e: _headers(e, ce_specversion=b"0.3"), None, "ce_specversion"),
        (lambda e: _headers(e, drop="ce_id"), None, "ce_id"),
        (lambda e: _headers(e, drop="ce_time"), None, "ce_time"),
        (lambda e: _headers(e, drop="ce_type"), None, "bad CloudEvent attributes"),
        (lambda e: _headers(e, drop="ce_subject"), None, "bad CloudEvent attributes"),
        (lambda e: _headers(e, drop="ce_sequence"), None, "bad CloudEvent attributes"),
        (lambda e: _headers(e, ce_sequence=b"seven"), None, "bad CloudEvent attributes"),
        (lambda e: _headers(e, ce_sequence=b"-1"), None, "bad CloudEvent attributes"),
        (lambda e: _headers(e, ce_time=b"yesterday"), None, "bad CloudEvent attributes"),
        (lambda e: _headers(e, ce_source=b"\xff\xfe"), None, "not UTF-8"),
        (lambda e: e.kafka_headers(), b"not json", "not JSON"),
        (lambda e: e.kafka_headers(), b"", "not JSON"),
        (lambda e: e.kafka_headers(), b"\xff\xfe\x00", "not JSON"),
        (lambda e: e.kafka_headers(), b'[{"candidate": {}}]', "JSON object"),
        (lambda e: e.kafka_headers(), b'"text"', "JSON object"),
    ],
    ids=[
        "no-specversion",
        "old-specversion",
        "no-id",
        "no-time",
        "no-type",
        "no-subject",
        "no-sequence",
        "non-numeric-sequence",
        "negative-sequence",
        "bad-time",
        "non-utf8-header",
        "non-json-value",
        "empty-value",
        "binary-value",
        "json-array-value",
        "json-string-value",
    ],
)
def test_malformed_records_raise_invalid_event(headers, value, reason: str) -> None:
    event = _event()
    with pytest.raises(InvalidEvent, match=reason):
        EventEnvelope.from_kafka(headers(event), event.kafka_value() if value is None else value)


def test_a_tombstone_record_is_invalid() -> None:
    with pytest.raises(InvalidEvent):
        EventEnvelope.from_kafka(_event().kafka_headers(), None)


def test_invalid_event_is_a_value_error_with_the_reason() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        EventEnvelope.from_kafka(_event().kafka_headers(), json.dumps([1, 2]).encode())
