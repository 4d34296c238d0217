"""Personal data in events, readable only while the person is not erased (crypto-shredding).

Every person (candidate, prospect) gets a random 256-bit key in the producing service's `subject_keys` table. The
outbox writer replaces each personal value of an event (the fields the contracts mark `x-personal`) by a token
`sealed:v1:<person id>:<base64url(nonce | AES-256-GCM ciphertext)>` (the person id is the associated data); lists
stay lists (each element sealed), so payloads keep their JSON types and the CloudEvents envelope is untouched.
Erasure deletes the key in the erasure's own transaction: from then on every copy of the person's events (on
Kafka, however long topics are retained; in dead letters; in outbox rows not yet published) is ciphertext nobody
can open. Consumers open events with `Unsealer`, which fetches keys from the producer (`GET /v1/event-keys/{id}`,
scope `events:decrypt`), keeps them in memory only, and reports events whose key is gone: those carry nothing
left to apply."""
from __future__ import annotations

import base64
import functools
import json
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from shared_schemas.envelope import EventEnvelope
from shared_schemas.events import REGISTRY
from shared_schemas.personal import layout, person_of
from sqlalchemy import (
    Column,
    DateTime,
    LargeBinary,
    MetaData,
    Select,
    Table,
    Text,
    TextClause,
    bindparam,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("talentkit.sealing")
PREFIX = "sealed:v1:"
JSON_PREFIX = "sealed:v1j:"  # a non-string value, sealed as its JSON


def subject_keys_table(metadata: MetaData) -> Table:
    """The per-person keys of a service that publishes personal data (ATS, CRM)."""
    return Table(
        "subject_keys", metadata,
        Column("subject_id", Text, primary_key=True, comment="the person (candidate or prospect id)"),
        Column("key", LargeBinary, nullable=False, comment="AES-256-GCM key; deleted when the person is erased"),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class _Lru(OrderedDict[str, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, k: str, v: Any) -> None:
        self[k] = v
        self.move_to_end(k)
        while len(self) > self.size:
            self.popitem(last=False)


def _seal_value(aead: AESGCM, subject: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [_seal_value(aead, subject, v) for v in value]
    prefix, raw = (PREFIX, value.encode()) if isinstance(value, str) else (JSON_PREFIX, json.dumps(value, default=str).encode())
    nonce = os.urandom(12)
    sealed = base64.urlsafe_b64encode(nonce + aead.encrypt(nonce, raw, subject.encode())).decode().rstrip("=")
    return f"{prefix}{subject}:{sealed}"


def seal_payload(data: dict[str, Any], lay: dict[str, Any], subject: str, key: bytes) -> dict[str, Any]:
    """A copy of `data` with the values `lay` marks sealed under `key`."""
    aead = AESGCM(key)

    def walk(value: Any, spec: Any) -> Any:
        if spec is True:
            return _seal_value(aead, subject, value)
        if isinstance(value, list):
            return [walk(v, spec) for v in value]
        if not isinstance(value, dict):
            return value
        if isinstance(spec, set):  # a `changes` map
            return {k: ({**c, "before": _seal_value(aead, subject, c.get("before")),
                         "after": _seal_value(aead, subject, c.get("after"))}
                        if k in spec and isinstance(c, dict) else c) for k, c in value.items()}
        return {k: walk(v, spec[k]) if k in spec else v for k, v in value.items()}

    return walk(data, lay)


@functools.cache
def _create_keys(table: Table) -> TextClause:
    # One text for any number of people (arrays, unnested): compiled and prepared once. (A multi-row VALUES
    # construct is compiled again for every write: a sixth of a millisecond per created person.)
    return text(f"""INSERT INTO {table.name} (subject_id, key)
        SELECT * FROM unnest(CAST(:subjects AS text[]), CAST(:keys AS bytea[]))
        ON CONFLICT DO NOTHING RETURNING subject_id, key""")


@dataclass
class NewKeys:
    """Keys of people created in a unit of work, inserted by its closing statement (a plain INSERT: a new id has
    no key yet, and a clash must fail the commit rather than leave events sealed with a key nobody keeps)."""

    table: Table
    keys: dict[str, bytes] = field(default_factory=dict)

    def render(self, p: str) -> tuple[list[str], dict[str, Any], list[str]]:
        cte = (f"{p}keys AS (INSERT INTO {self.table.name} (subject_id, key) "
               f"SELECT * FROM unnest(CAST(:{p}subjects AS text[]), CAST(:{p}keys AS bytea[])))")
        return [cte], {f"{p}subjects": list(self.keys), f"{p}keys": list(self.keys.values())}, []


class Sealer:
    """The outbox side: seals events' personal values with their person's key (created on first use)."""

    def __init__(self, table: Table, cache_size: int = 10000) -> None:
        self.table = table
        self._keys: _Lru = _Lru(cache_size)
        self._part_key = f"keys:{table.name}"

    async def seal(self, session: AsyncSession, events: list[tuple[str, str, dict[str, Any]]],
                   after_commit: list[Callable[[], Awaitable[None]]], *, born: set[str] = frozenset(),  # type: ignore[assignment]
                   uow: Any = None) -> list[dict[str, Any]]:
        """Sealed copies of each (type, aggregate id, data); keys created here are cached only once committed.
        `born`: people created in this transaction (with `uow`, their keys go in its closing statement)."""
        wanted = [(layout(REGISTRY[t]) if t in REGISTRY else {}, person_of(t, a, d)) for t, a, d in events]
        subjects = {s for lay, s in wanted if lay and s}
        keys = await self._keys_for(session, subjects, after_commit, born=born if uow is not None else set(), uow=uow)
        return [seal_payload(d, lay, s, keys[s]) if lay and s else d for (_, _, d), (lay, s) in zip(events, wanted, strict=True)]

    async def _keys_for(self, session: AsyncSession, subjects: set[str],
                        after_commit: list[Callable[[], Awaitable[None]]], *, born: set[str], uow: Any) -> dict[str, bytes]:
        found = {s: self._keys[s] for s in subjects if s in self._keys}
        if uow is not None and (pending := uow._closing.get(self._part_key)) is not None:
            found |= {s: pending.keys[s] for s in subjects if s in pending.keys}  # created earlier in this unit of work
        missing = sorted(subjects - found.keys())
        if new := [s for s in missing if s in born]:
            part = uow.closing(self._part_key, lambda: NewKeys(self.table))
            for s in new:
                found[s] = part.keys[s] = AESGCM.generate_key(bit_length=256)

            async def remember_new() -> None:
                for s in new:
                    self._keys.put(s, found[s])
            after_commit.append(remember_new)
            missing = [s for s in missing if s not in born]
        if not missing:
            return found
        t = self.table
        rows: dict[Any, bytes] = dict((await session.execute(_create_keys(t), {
            "subjects": missing, "keys": [AESGCM.generate_key(bit_length=256) for _ in missing]})).all())
        created = set(rows)
        if existing := [s for s in missing if s not in created]:  # a new person (the usual case) needs no second query
            rows |= dict((await session.execute(select(t.c.subject_id, t.c.key).where(t.c.subject_id.in_(existing)))).all())
        for s, k in rows.items():
            if s not in created:  # committed by someone else: safe to remember now
                self._keys.put(s, k)

        async def remember() -> None:
            for s in created:
                self._keys.put(s, rows[s])
        if created:
            after_commit.append(remember)
        return {**found, **rows}

    async def shred(self, session: AsyncSession, subjects: list[str]) -> None:
        """Erasure: delete the people's keys (in the erasure's transaction); what was sealed with them is lost."""
        for s in subjects:
            self._keys.pop(s, None)
        await session.execute(delete(self.table).where(self.table.c.subject_id.in_(subjects)))

    async def key(self, session: AsyncSession, subject: str) -> bytes | None:
        """A person's key, for the key endpoint (None once erased)."""
        return (await self.keys(session, [subject])).get(subject)

    async def keys(self, session: AsyncSession, subjects: list[str]) -> dict[str, bytes]:
        """The keys of several people, for the batch key endpoint (the erased are absent)."""
        return dict((await session.execute(self._lookup, {"subjects": subjects})).all())

    @functools.cached_property
    def _lookup(self) -> Select[Any]:
        # built once: a statement built per call costs its construction and cache key on every key request
        t = self.table
        return select(t.c.subject_id, t.c.key).where(t.c.subject_id.in_(bindparam("subjects", expanding=True)))


_SEALERS: dict[int, Sealer] = {}


def sealer_for(table: Table) -> Sealer:
    """The process's sealer of a keys table (one key cache per service)."""
    return _SEALERS.setdefault(id(table), Sealer(table))


class KeyUnavailable(Exception):
    """The producer could not be asked for a key right now (retry later)."""


KeyFetch = Callable[[str, str], Awaitable[bytes | None]]  # (event source, person id) -> key, None when erased


@dataclass
class Opened:
    """An event with its personal values opened; `shredded` names people whose key is gone (their values are None)."""

    envelope: EventEnvelope
    shredded: set[str] = field(default_factory=set)


class Unsealer:
    """The consumer side: opens sealed values with keys fetched from the producer and kept in memory for `ttl`
    seconds (an erasure that a consumer sees evicts the key at once: `forget`)."""

    def __init__(self, fetch: KeyFetch, ttl: float = 300.0, cache_size: int = 10000) -> None:
        self.fetch, self.ttl = fetch, ttl
        self._keys: _Lru = _Lru(cache_size)

    async def open(self, envelope: EventEnvelope) -> Opened:
        """The envelope with every sealed token of its data replaced by its value."""
        subjects: set[str] = set()
        _tokens(envelope.data, subjects)
        if not subjects:
            return Opened(envelope)
        keys = {s: await self._key(envelope.source, s) for s in sorted(subjects)}
        shredded = {s for s, k in keys.items() if k is None}
        data = _open(envelope.data, {s: AESGCM(k) for s, k in keys.items() if k is not None})
        return Opened(envelope.model_copy(update={"data": data}), shredded)

    async def prefetch(self, envelopes: Iterable[EventEnvelope]) -> None:
        """Fetch the keys a batch of events needs in one request per producer (when the fetch can: `many`), so
        opening them costs no round trip each. Only a hint: on failure each `open` asks for its own key."""
        many = getattr(self.fetch, "many", None)
        if many is None:
            return
        wanted: dict[str, set[str]] = {}
        for envelope in envelopes:
            subjects: set[str] = set()
            _tokens(envelope.data, subjects)
            wanted.setdefault(envelope.source, set()).update(s for s in subjects if not self._cached(s))
        for source, subjects in wanted.items():
            for chunk in _chunks(sorted(subjects), MAX_KEYS_PER_LOOKUP):
                try:
                    found = await many(source, chunk)
                except KeyUnavailable as exc:
                    log.warning("key prefetch failed; events fetch their own keys", extra={"error": str(exc)})
                    return
                expires = time.monotonic() + self.ttl
                for s in chunk:
                    self._keys.put(s, (expires, found.get(s)))

    def forget(self, subject: str) -> None:
        self._keys.pop(subject, None)

    def _cached(self, subject: str) -> bool:
        cached = self._keys.get(subject)
        return cached is not None and (cached[1] is None or cached[0] > time.monotonic())

    async def _key(self, source: str, subject: str) -> bytes | None:
        if self._cached(subject):
            return self._keys[subject][1]  # an erased person's key never comes back: remembered for good
        key = await self.fetch(source, subject)
        self._keys.put(subject, (time.monotonic() + self.ttl, key))
        return key


MAX_KEYS_PER_LOOKUP = 500  # the batch key endpoint's limit per request


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _tokens(value: Any, found: set[str]) -> None:
    if _is_token(value):
        found.add(value.split(":", 3)[2])
    elif isinstance(value, list):
        for v in value:
            _tokens(v, found)
    elif isinstance(value, dict):
        for v in value.values():
            _tokens(v, found)


def _open(value: Any, aeads: dict[str, AESGCM]) -> Any:
    if _is_token(value):
        _, _, subject, token = value.split(":", 3)
        aead = aeads.get(subject)
        if aead is None:
            return None
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plain = aead.decrypt(raw[:12], raw[12:], subject.encode())
        return json.loads(plain) if value.startswith(JSON_PREFIX) else plain.decode()
    if isinstance(value, list):  # an element nobody can open any more is left out
        return [o for v in value if (o := _open(v, aeads)) is not None or not _is_token(v)]
    if isinstance(value, dict):
        return {k: _open(v, aeads) for k, v in value.items()}
    return value


def _is_token(value: Any) -> bool:
    return isinstance(value, str) and value.startswith((PREFIX, JSON_PREFIX))


class HttpKeyFetch:
    """Fetch keys from the producing service of each event source (`/ats` -> its base URL) over its REST API:
    one person (`GET /v1/event-keys/{id}`) or a batch (`many`: `POST /v1/event-keys/lookup`)."""

    def __init__(self, urls: dict[str, str], headers: dict[str, str], client: Any) -> None:
        self.urls, self.headers, self.client = urls, headers, client

    def _base(self, source: str) -> str:
        base = self.urls.get(source)
        if base is None:
            raise KeyUnavailable(f"no key service known for source {source}")
        return base

    async def __call__(self, source: str, subject: str) -> bytes | None:
        try:
            r = await self.client.get(f"{self._base(source)}/v1/event-keys/{subject}", headers=self.headers)
        except KeyUnavailable:
            raise
        except Exception as exc:
            raise KeyUnavailable(f"{source}: {exc!r}") from exc
        if r.status_code == 404:
            return None
        if r.status_code != 200:
            raise KeyUnavailable(f"{source} answered {r.status_code}")
        return base64.b64decode(r.json()["key"])

    async def many(self, source: str, subjects: list[str]) -> dict[str, bytes | None]:
        """The keys of `subjects` (None for the erased)."""
        try:
            r = await self.client.post(f"{self._base(source)}/v1/event-keys/lookup", headers=self.headers,
                                       json={"subject_ids": subjects})
        except KeyUnavailable:
            raise
        except Exception as exc:
            raise KeyUnavailable(f"{source}: {exc!r}") from exc
        if r.status_code != 200:
            raise KeyUnavailable(f"{source} answered {r.status_code}")
        found = {k["subject_id"]: base64.b64decode(k["key"]) for k in r.json()["keys"]}
        return {s: found.get(s) for s in subjects}


def http_key_fetch(urls: dict[str, str], headers: dict[str, str], client: Any) -> HttpKeyFetch:
    """Fetch keys from the producing service of each event source over its REST API (see `HttpKeyFetch`)."""
    return HttpKeyFetch(urls, headers, client)
