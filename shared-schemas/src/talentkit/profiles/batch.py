"""A batch of profile creates and updates: each item is answered as its single request would be (validation,
problem+json, If-Match, idempotency key, erased/merged guards) and is atomic with its event (a savepoint, when any
item of the batch fails), and the whole batch is one transaction: one commit, one outbox insert, one audit-chain lock instead of one per item."""
from __future__ import annotations

import contextlib
import functools
import json
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Table, TextClause, bindparam, delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from talentkit.auth import SYNC_SCOPE, RequestContext
from talentkit.concurrency import etag
from talentkit.errors import (
    Forbidden,
    ProblemError,
    lost_race,
    problem_of,
    unstorable_value,
    validation_problem,
)
from talentkit.idempotency import (
    _request_hash,  # one hash for a key, whether it came as a header or in a batch
)
from talentkit.profiles.schemas import InvalidItem
from talentkit.profiles.service import ProfileService
from talentkit.uow import UnitOfWork


@dataclass
class Batch:
    """Where a batch writes: the profile service, the collection path, the response schema, the idempotency keys."""

    service: ProfileService[Any]
    path: str
    out_schema: type[BaseModel]
    keys: Table


def ensure_sync_fields_allowed(items: list[Any], ctx: RequestContext) -> None:
    """Source times are the sync gateway's to give (403 for the whole batch otherwise), as their headers are."""
    if ctx.principal.has(SYNC_SCOPE):
        return
    if any(getattr(i, "source_time", None) or getattr(i, "field_times", None) for i in items):
        raise Forbidden(f"`source_time` and `field_times` need the scope `{SYNC_SCOPE}`.", required_scope=SYNC_SCOPE)


async def apply_batch(*, uow: UnitOfWork, batch: Batch, items: list[Any], ctx: RequestContext) -> list[dict[str, Any]]:
    """Apply every item in order; return one outcome per item (`status` and `body`, or `status` and `problem`)."""
    session = uow.session
    hashes = {i: _request_hash("POST", batch.path, json.dumps(item._raw_body).encode())
              for i, item in enumerate(items) if getattr(item, "idempotency_key", None)}
    first_hash: dict[str, str] = {}
    for i, h in hashes.items():
        first_hash.setdefault(items[i].idempotency_key, h)
    claimed, stored = await _claim(session, batch, ctx.principal.key_id, first_hash)
    locked = await batch.service.repo.lock(session, sorted({i.id for i in items if getattr(i, "op", None) == "update"}))

    # First every item in one savepoint (two statements for the batch instead of two per item); when any item
    # fails (a refusal or a value the database will not store), that savepoint is undone and the items are
    # applied again, each in a savepoint of its own, so that only the failing ones fail, as one at a time.
    try:
        async with uow.savepoint():
            results, answered = await _apply_items(uow, batch, items, ctx, hashes, first_hash, stored, locked,
                                                   alone=False)
    except (_ItemFailed, DBAPIError):  # (a write flushed only as the savepoint ended fails there)
        session.expire_all()  # what the undone attempt changed in memory is read again as stored (not `locked`)
        results, answered = await _apply_items(uow, batch, items, ctx, hashes, first_hash, stored, {}, alone=True)
    await _settle(session, batch, ctx.principal.key_id, {k: answered[k] for k in claimed if k in answered})
    return results


class _ItemFailed(Exception):
    """An item failed while the batch was applied in one savepoint: apply the items one savepoint each."""


async def _apply_items(uow: UnitOfWork, batch: Batch, items: list[Any], ctx: RequestContext, hashes: dict[int, str],
                       first_hash: dict[str, str], stored: dict[str, Any], locked: dict[Any, Any], *, alone: bool
                       ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    # The people the creates may find (`unless_email_taken`) are read in one query; a person this batch creates is
    # added as it is created, so a later item with the same email finds it, as it would one item at a time.
    taken = await batch.service.repo.oldest_by_email(uow.session, [
        e for i in items if getattr(i, "op", None) == "create" and getattr(i, "unless_email_taken", False)
        and not isinstance(i, InvalidItem) for e in i.body.emails or ()])
    results: list[dict[str, Any]] = []
    answered: dict[str, dict[str, Any]] = {}  # key -> the outcome of its first item in this batch
    for index, item in enumerate(items):
        key = getattr(item, "idempotency_key", None)
        if isinstance(item, InvalidItem):
            results.append(_failed(index, validation_problem(item.errors, batch.path)))
        elif key and (hashes[index] != first_hash[key] or (key in stored and stored[key].request_hash != hashes[index])):
            results.append(_failed(index, validation_problem([{
                "loc": ("item", "idempotency_key"), "msg": "reused with a different request",
                "type": "idempotency_key_reused"}], batch.path)))
        elif key and key in answered:
            results.append({**answered[key], "index": index, "replayed": True})
        elif key and key in stored:
            results.append(_replayed(index, stored[key]))
        else:
            results.append(await _apply_one(uow, batch, index, item, ctx, taken, locked, alone=alone))
            if key:
                answered[key] = results[-1]
    return results, answered


async def _apply_one(uow: UnitOfWork, batch: Batch, index: int, item: Any, ctx: RequestContext,
                     taken: dict[str, Any | None], locked: dict[Any, Any], *, alone: bool) -> dict[str, Any]:
    instance = batch.path if item.op == "create" else f"{batch.path}/{item.id}"
    if item.op == "create" and item.unless_email_taken and item.body.emails:
        wanted = [x.strip().lower() for x in item.body.emails]
        if any(e in taken and taken[e] is None for e in wanted):
            existing = await batch.service.repo.oldest_with_email(uow.session, item.body.emails)
        else:
            existing = next((taken[e] for e in wanted if e in taken), None)
        if existing is not None:
            return {"index": index, "status": 200, "existing": True, "etag": etag(existing.version),
                    "location": f"{batch.path}/{existing.id}",
                    "body": batch.out_schema.model_validate(existing).model_dump(mode="json")}
    try:
        async with (uow.savepoint() if alone else contextlib.nullcontext()):
            if item.op == "create":
                # in the batch's one savepoint the INSERTs and UPDATEs wait for its end, where they go as one
                # statement each (an update changing the same columns as the others)
                record = await batch.service.create(uow=uow, values=item.body.model_dump(), ctx=_item_ctx(item, ctx),
                                                    flush=alone)
            else:
                record = await batch.service.update(uow=uow, id=item.id, values=item.body.model_dump(exclude_unset=True),
                                                    if_match=item.if_match, ctx=_item_ctx(item, ctx),
                                                    locked=locked.get(item.id), flush=alone)
    except ProblemError as exc:
        if not alone:
            raise _ItemFailed from exc
        return _failed(index, problem_of(exc, instance))
    except DBAPIError as exc:
        if (problem := unstorable_value(exc, instance) or lost_race(exc, instance)) is None:
            raise
        if not alone:
            raise _ItemFailed from exc
        return _failed(index, problem)
    if item.op == "create":
        for email in record.emails:
            taken.setdefault(email, record)  # a person found before is older
    else:  # an update may have added or removed emails: those are looked up afresh (None: ask the database)
        for email in [e for e, held in taken.items() if held is record] + list(record.emails):
            taken[email] = None
    out = {"index": index, "status": 201 if item.op == "create" else 200, "etag": etag(record.version),
           "body": batch.out_schema.model_validate(record).model_dump(mode="json")}
    if item.op == "create":
        out["location"] = f"{batch.path}/{record.id}"
    return out


def _item_ctx(item: Any, ctx: RequestContext) -> RequestContext:
    """The request's context with the item's own source time, field times and causing event, where it has them."""
    own = {"source_time": item.source_time, "causation_id": item.causation_id,
           "source_field_times": getattr(item, "field_times", None)}
    own = {k: v for k, v in own.items() if v}
    return replace(ctx, **own) if own else ctx


def _failed(index: int, problem: dict[str, Any]) -> dict[str, Any]:
    return {"index": index, "status": problem["status"], "problem": problem}


def _replayed(index: int, row: Any) -> dict[str, Any]:
    body = json.loads(row.response_body)
    if row.status_code >= 400:
        return {"index": index, "status": row.status_code, "replayed": True, "problem": body}
    return {"index": index, "status": row.status_code, "replayed": True, "body": body, **(row.response_headers or {})}


@functools.cache
def _claim_statement(table: Table) -> TextClause:
    # One text for any number of keys (arrays, unnested in order): compiled once. (A multi-row VALUES construct
    # was compiled again for every batch.)
    return text(f"""INSERT INTO {table.name} (principal, key, method, path, request_hash)
        SELECT :principal, r.key, 'POST', :path, r.hash
        FROM unnest(CAST(:keys AS text[]), CAST(:hashes AS text[])) WITH ORDINALITY AS r(key, hash, n) ORDER BY r.n
        ON CONFLICT DO NOTHING RETURNING key""")


async def _claim(session: AsyncSession, batch: Batch, principal: str,
                 hashes: dict[str, str]) -> tuple[set[str], dict[str, Any]]:
    """Claim the keys never used (in key order, so that two batches sharing keys wait for each other instead of
    deadlocking; a key in flight elsewhere waits for that request's commit); return them and the stored rows of
    the others."""
    if not hashes:
        return set(), {}
    t = batch.keys
    ordered = sorted(hashes.items())
    claimed = set((await session.execute(_claim_statement(t), {
        "principal": principal, "path": batch.path, "keys": [k for k, _ in ordered],
        "hashes": [h for _, h in ordered]})).scalars())
    used = [k for k in hashes if k not in claimed]
    stored = {r.key: r for r in await session.execute(select(t).where(t.c.principal == principal, t.c.key.in_(used)))} if used else {}
    return claimed, stored


async def _settle(session: AsyncSession, batch: Batch, principal: str, outcomes: dict[str, dict[str, Any]]) -> None:
    """Keep the answers of the claimed keys whose item succeeded; free the others (a failed item leaves no key)."""
    t = batch.keys
    kept = [{"b_key": k, "b_status": o["status"], "b_body": json.dumps(o["body"], separators=(",", ":")),
             "b_headers": {h: o[h] for h in ("etag", "location") if h in o}}
            for k, o in outcomes.items() if "body" in o]
    if kept:
        await session.execute(update(t).where(t.c.principal == principal, t.c.key == bindparam("b_key")).values(
            status_code=bindparam("b_status"), response_body=bindparam("b_body"),
            response_headers=bindparam("b_headers")), kept)
    if freed := [k for k, o in outcomes.items() if "body" not in o]:
        await session.execute(delete(t).where(t.c.principal == principal, t.c.key.in_(freed)))
