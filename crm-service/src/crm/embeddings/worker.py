"""The embedding worker: lease requests, compute embeddings outside any transaction, store them. Every replica may
run it (leases keep two from taking the same prospects); a crashed worker's lease runs out and another takes over.

The vectors are computed in a separate, niced process (`talentkit.embedding_process`, setting `embedding_process`):
the forward pass is CPU work that would otherwise compete with writes and sync for the GIL and the cores, and a
semantic index a second staler matters less than either. The process starts with the first batch and stops with
the worker (at shutdown).

Niceness is not enough on a machine the CRM shares: the rounds also cost the CRM process and PostgreSQL (the
HNSW insert of each vector, at normal priority), and the forward pass evicts everyone's caches. So while
requests keep the CRM busy, the worker rests after each round (`_yield_to_requests`): the semantic index falls a
little behind during a burst of writes and catches up at full speed after it; Boolean search is never behind."""
from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from talentkit import background
from talentkit.background import repeat
from talentkit.embedding_process import BackgroundEmbedder
from talentkit.embeddings import MODEL_NAME, embedder
from talentkit.observability import request_activity

from crm.embeddings import repository
from crm.embeddings.text import prospect_text

BATCH = 64
LEASE = timedelta(minutes=2)
BUSY = 0.1  # requests in flight a tenth of the time or more (on average): the CRM is serving a stream of them


async def embed_pending(app: FastAPI, *, limit: int = BATCH) -> int:
    """One round: embed up to `limit` waiting prospects, then yield to requests if they kept the CRM busy
    meanwhile; how many requests were handled."""
    started = request_activity.reading()
    handled = await _round(app, limit)
    if handled:
        await _yield_to_requests(app, started)
    return handled


async def _yield_to_requests(app: FastAPI, started: tuple[float, float]) -> None:
    """Rest `embedding_busy_rest` times as long as the round took when requests kept the CRM busy during it, so
    background embedding takes at most about 1/(1 + rest) of the time it otherwise would while they come."""
    rest = app.state.settings.embedding_busy_rest
    took, in_flight = request_activity.since(started)
    if rest and in_flight >= BUSY:
        await background.sleep(rest * took)


async def _round(app: FastAPI, limit: int) -> int:
    now = datetime.now(UTC)
    async with app.state.uow_factory() as uow:
        leased = await repository.lease(uow.session, limit=limit, now=now, lease=LEASE)
        await uow.commit()
    if not leased:
        return 0
    gone = [row.id for row, _ in leased if row.status in ("erased", "merged") or row.merged_into_id]
    texts = {row.id: prospect_text(**row._mapping) for row, _ in leased if row.id not in gone}
    digests = {pid: hashlib.sha256(t.encode()).hexdigest() for pid, t in texts.items()}
    todo = [pid for pid, t in texts.items() if t and digests[pid] != next(r.text_sha256 for r, _ in leased if r.id == pid)]
    vectors = await _embed(app, [texts[pid] for pid in todo]) if todo else []
    async with app.state.uow_factory() as uow:
        await repository.store(uow.session, [{"prospect_id": pid, "embedding": v, "text_sha256": digests[pid],
                                              "model": MODEL_NAME, "embedded_at": now} for pid, v in zip(todo, vectors)])
        await repository.forget(uow.session, gone + [pid for pid, t in texts.items() if not t])
        await repository.done(uow.session, [(row.id, requested) for row, requested in leased])
        await uow.commit()
    return len(leased)


async def _embed(app: FastAPI, texts: list[str]) -> Any:
    settings = app.state.settings
    if not settings.embedding_process:
        return await asyncio.to_thread(embedder().embed, texts)
    if getattr(app.state, "background_embedder", None) is None:
        app.state.background_embedder = BackgroundEmbedder(nice=settings.embedding_nice)
    return await app.state.background_embedder.embed(texts)


_embed_changes = repeat(embed_pending, pause=lambda app: app.state.settings.embedding_poll_seconds,
                        name="embedding_worker", wake_on_commit=True)


async def embedding_worker(app: FastAPI) -> None:
    """Background task of the CRM: embed changed prospects as they come; its embedding process ends with it."""
    try:
        await _embed_changes(app)
    finally:
        background = getattr(app.state, "background_embedder", None)
        if background is not None:
            await asyncio.to_thread(background.close)
