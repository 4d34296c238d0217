"""The embedding worker: lease requests, compute embeddings outside any transaction, store them. Every replica may
run it (leases keep two from taking the same prospects); a crashed worker's lease runs out and another takes over."""
from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from talentkit.background import repeat
from talentkit.embeddings import MODEL_NAME, embedder

from crm.embeddings import repository
from crm.embeddings.text import prospect_text

BATCH = 64
LEASE = timedelta(minutes=2)


async def embed_pending(app: FastAPI, *, limit: int = BATCH) -> int:
    """One round: embed up to `limit` waiting prospects; how many requests were handled."""
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
    vectors = await asyncio.to_thread(embedder().embed, [texts[pid] for pid in todo]) if todo else []
    async with app.state.uow_factory() as uow:
        await repository.store(uow.session, [{"prospect_id": pid, "embedding": v, "text_sha256": digests[pid],
                                              "model": MODEL_NAME, "embedded_at": now} for pid, v in zip(todo, vectors)])
        await repository.forget(uow.session, gone + [pid for pid, t in texts.items() if not t])
        await repository.done(uow.session, [(row.id, requested) for row, requested in leased])
        await uow.commit()
    return len(leased)


# Background task of the CRM: embed changed prospects as they come.
embedding_worker = repeat(embed_pending, pause=lambda app: app.state.settings.embedding_poll_seconds,
                          name="embedding_worker")
