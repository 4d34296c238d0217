"""Personal values in events are sealed per person: the payload keeps its JSON types, the official CloudEvents SDK
still reads the envelope, the right key opens it, and once the key is gone (erasure) nothing of the person can be
read and the consumer is told."""
from __future__ import annotations

import json
import uuid

from cloudevents.v1.kafka import KafkaMessage, from_binary
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from shared_schemas.envelope import EventEnvelope
from shared_schemas.events import REGISTRY
from shared_schemas.personal import layout, person_of
from talentkit.sealing import Unsealer, seal_payload

PERSON = str(uuid.uuid4())
KEY = AESGCM.generate_key(bit_length=256)
SNAPSHOT = {"id": PERSON, "version": 2, "created_at": "2026-12-01T00:00:00Z", "updated_at": "2026-12-01T00:00:00Z",
            "first_name": "Ada", "last_name": "Lovelace", "emails": ["ada@example.com", "al@example.com"],
            "phones": ["+44 20 7946 0958"], "location": "London", "headline": None, "tags": ["python"],
            "source": "referral", "field_times": {}}
UPDATED = {"candidate_id": PERSON, "candidate": SNAPSHOT,
           "changes": {"last_name": {"before": "Byron", "after": "Lovelace"}, "source": {"before": None, "after": "referral"}}}


def sealed() -> dict:
    return seal_payload(UPDATED, layout(REGISTRY["ats.candidate.updated.v1"]), PERSON, KEY)


def envelope(data: dict) -> EventEnvelope:
    return EventEnvelope(source="/ats", type="ats.candidate.updated.v1", subject=PERSON, sequence=2, data=data)


def test_personal_values_are_sealed_and_everything_else_stays_readable_with_its_json_type():
    data = sealed()
    text = json.dumps(data)
    assert "Ada" not in text and "ada@example.com" not in text and "Byron" not in text and "7946" not in text
    assert data["candidate"]["source"] == "referral" and data["candidate"]["tags"] == ["python"]
    assert len(data["candidate"]["emails"]) == 2 and all(e.startswith(f"sealed:v1:{PERSON}:") for e in data["candidate"]["emails"])
    assert data["changes"]["source"] == {"before": None, "after": "referral"} and data["candidate"]["headline"] is None
    REGISTRY["ats.candidate.updated.v1"].model_validate(data)  # still the contract's shape


def test_the_official_sdk_reads_a_sealed_event():
    env = envelope(sealed())
    ce = from_binary(KafkaMessage(headers=dict(env.kafka_headers()), key=env.key, value=env.kafka_value()))
    assert ce["type"] == "ats.candidate.updated.v1" and ce.data["candidate"]["id"] == PERSON


async def test_the_persons_key_opens_every_value():
    asked: list[tuple[str, str]] = []

    async def fetch(source: str, subject: str) -> bytes | None:
        asked.append((source, subject))
        return KEY
    unsealer = Unsealer(fetch)
    opened = await unsealer.open(envelope(sealed()))
    assert opened.shredded == set() and opened.envelope.data == UPDATED
    await unsealer.open(envelope(sealed()))
    assert asked == [("/ats", PERSON)]  # kept in memory


async def test_without_the_key_nothing_of_the_person_can_be_read_and_the_consumer_is_told():
    async def erased(source: str, subject: str) -> bytes | None:
        return None
    opened = await Unsealer(erased).open(envelope(sealed()))
    assert opened.shredded == {PERSON}
    assert opened.envelope.data["candidate"]["first_name"] is None and opened.envelope.data["candidate"]["emails"] == []


def test_the_person_of_an_event_is_the_candidate_or_prospect_it_is_about():
    assert person_of("ats.candidate.merged.v1", "dup", {"survivor_id": "s", "candidate": {"id": "s"}}) == "s"
    assert person_of("ats.application.rejected.v1", "app", {"candidate_id": "c", "application": {}}) == "c"
    assert person_of("crm.message.replied.v1", "m", {"message": {"prospect_id": "p"}}) == "p"
    assert person_of("ats.job.opened.v1", "j", {"job": {"id": "j"}}) is None


async def test_a_fetched_batch_asks_for_all_its_keys_in_one_request_and_remembers_the_erased():
    gone = str(uuid.uuid4())
    one: list[str] = []
    batches: list[list[str]] = []

    class Fetch:
        async def __call__(self, source: str, subject: str) -> bytes | None:
            one.append(subject)
            return KEY

        async def many(self, source: str, subjects: list[str]) -> dict[str, bytes | None]:
            batches.append(subjects)
            return {s: (KEY if s == PERSON else None) for s in subjects}

    other = EventEnvelope(source="/ats", type="ats.candidate.updated.v1", subject=gone, sequence=1,
                          data=seal_payload(UPDATED, layout(REGISTRY["ats.candidate.updated.v1"]), gone, KEY))
    unsealer = Unsealer(Fetch())
    await unsealer.prefetch([envelope(sealed()), other, envelope(sealed())])
    assert batches == [sorted([PERSON, gone])]
    assert (await unsealer.open(envelope(sealed()))).envelope.data == UPDATED
    assert (await unsealer.open(other)).shredded == {gone}
    await unsealer.prefetch([envelope(sealed()), other])  # both known now: nothing asked
    assert one == [] and len(batches) == 1


async def test_a_failed_prefetch_leaves_each_event_to_fetch_its_own_key():
    from talentkit.sealing import KeyUnavailable

    class Fetch:
        async def __call__(self, source: str, subject: str) -> bytes | None:
            return KEY

        async def many(self, source: str, subjects: list[str]) -> dict[str, bytes | None]:
            raise KeyUnavailable("down")

    unsealer = Unsealer(Fetch())
    await unsealer.prefetch([envelope(sealed())])
    assert (await unsealer.open(envelope(sealed()))).envelope.data == UPDATED
