"""Bulk push use cases: start one (the people are chosen now: a list, or a search's first results), push each
person through the push-to-job flow in the background, one transaction per person, and report progress."""
from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from fastapi import FastAPI
from talentkit.auth import Principal, RequestContext
from talentkit.background import repeat
from talentkit.errors import NotFound, ProblemError
from talentkit.uow import UnitOfWork

from crm.bulk_pushes import repository
from crm.bulk_pushes.models import BulkPush, BulkPushItem
from crm.bulk_pushes.schemas import BulkPushItemRead, BulkPushRead
from crm.prospects import lifecycle
from crm.search.repository import Filters
from crm.search.schemas import Mode
from crm.search.service import ranked_ids


async def start(*, uow: UnitOfWork, values: dict[str, Any], ctx: RequestContext) -> BulkPush:
    """A running bulk push of the chosen prospects (400 when the query does not parse)."""
    if values.get("prospect_ids") is not None:
        ids = list(dict.fromkeys(uuid.UUID(str(i)) for i in values["prospect_ids"]))
        selection = {"prospect_ids": [str(i) for i in ids]}
    else:
        f = values["filters"]
        filters = Filters(pool_id=uuid.UUID(f["pool_id"]) if f.get("pool_id") else None, stage=f.get("stage"),
                          tags=f.get("tags") or [], status=f.get("status"), location=f.get("location"))
        ids = await ranked_ids(uow=uow, q=values["q"], mode=Mode(values["mode"]), filters=filters, limit=values["limit"])
        selection = {"q": values["q"], "mode": values["mode"], "filters": f, "limit": values["limit"]}
    bulk = BulkPush.start(job_id=uuid.UUID(str(values["job_id"])), selection=selection, prospect_ids=ids,
                          requested_by=ctx.actor, on_behalf_of=ctx.on_behalf_of)
    uow.session.add(bulk)
    await uow.flush()
    uow.session.add_all(BulkPushItem(bulk_push_id=bulk.id, position=i, prospect_id=pid, outcome="pending")
                        for i, pid in enumerate(ids))
    await uow.flush()
    uow.wake_workers()  # the push worker takes the items as soon as they commit
    return bulk


async def read(*, uow: UnitOfWork, bulk_id: uuid.UUID) -> BulkPushRead:
    """The bulk push with its progress and every person's outcome (and their push's live status)."""
    bulk = await repository.get(uow.session, bulk_id)
    if bulk is None:
        raise NotFound(f"No bulk push with id {bulk_id}.")
    rows = await repository.items(uow.session, bulk.id)
    items = [BulkPushItemRead(prospect_id=i.prospect_id, outcome=i.outcome, push_id=i.push_id, push_status=status,
                              reason=i.reason) for i, status in rows]
    return BulkPushRead(id=bulk.id, job_id=bulk.job_id, status=bulk.status, total=bulk.total, processed=bulk.processed,
                        progress=round(bulk.processed / bulk.total, 4) if bulk.total else 1.0,
                        outcomes=dict(Counter(i.outcome for i in items)), requested_by=bulk.requested_by,
                        created_at=bulk.created_at, finished_at=bulk.finished_at, version=bulk.version, items=items)


async def push_next(app: FastAPI) -> bool:
    """Push one pending person (False when there is none)."""
    async with app.state.uow_factory() as uow:
        item = await repository.next_pending(uow.session)
        if item is None:
            return False
        bulk = await repository.get(uow.session, item.bulk_push_id, for_update=True)
        assert bulk is not None
        ctx = RequestContext(principal=Principal(id=bulk.requested_by, scopes=frozenset({"crm:write"}),
                                                 on_behalf_of=bulk.on_behalf_of))
        uow.ctx = ctx
        try:
            async with uow.session.begin_nested():
                push = await lifecycle.push_to_job(uow=uow, prospect_id=item.prospect_id, job_id=bulk.job_id, ctx=ctx)
                await uow.flush()
            item.outcome, item.push_id = "requested", push.id
        except ProblemError as refused:  # the flow's own refusals: erased, merged, excluded, no email, unknown
            if existing := refused.extra.get("existing_push_id"):
                item.outcome, item.push_id, item.reason = "requested", uuid.UUID(existing), "already being pushed to this job"
            else:
                item.outcome, item.reason = "skipped", refused.detail or refused.title
        bulk.item_done()
        await uow.commit()
    return True


# Background task of the CRM: work through pending bulk push items, one person at a time.
bulk_push_worker = repeat(push_next, pause=lambda app: app.state.settings.embedding_poll_seconds, name="bulk_push_worker", wake_on_commit=True)
