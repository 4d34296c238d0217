"""Saved search use cases: save (what matches now is the baseline), check for new matches and alert, list, delete."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Select
from talentkit.auth import RequestContext
from talentkit.background import repeat
from talentkit.errors import NotFound
from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork

from crm.alerts.service import raise_alert
from crm.saved_searches import repository
from crm.saved_searches.models import SavedSearch
from crm.search import repository as search
from crm.search.repository import Filters
from crm.search.schemas import Mode
from crm.search.service import embed_query, parse_query

SEMANTIC_MATCH = 0.45  # a semantic saved search "matches" a prospect this similar to the query


async def create(*, uow: UnitOfWork, values: dict[str, Any], ctx: RequestContext) -> SavedSearch:
    """Save a search (400 when its query does not parse); prospects matching now are the baseline, never alerted."""
    if values["mode"] != Mode.SEMANTIC:
        parse_query(values["q"])
    saved = SavedSearch.save(name=values["name"], q=values["q"], mode=values["mode"], filters=values["filters"],
                             alerts=values["alerts"], recipient=values.get("recipient") or ctx.on_behalf_of or ctx.actor,
                             actor=ctx.actor)
    uow.session.add(saved)
    await uow.flush()
    now = datetime.now(UTC)
    await repository.record_matches(uow.session, saved.id, await _matching(uow, saved), now)
    saved.checked(now)
    return saved


async def check(*, uow: UnitOfWork, saved: SavedSearch) -> dict[str, Any]:
    """Record the prospects that newly match; alert the recipient when there are any (and alerts are on)."""
    now = datetime.now(UTC)
    new = await repository.record_matches(uow.session, saved.id, await _matching(uow, saved), now)
    saved.checked(now)
    alert = None
    if new and saved.alerts:
        alert = await raise_alert(uow=uow, kind="saved_search_matches", recipient=saved.recipient,
                                  title=f"{len(new)} new prospects match “{saved.name}”",
                                  data={"saved_search_id": str(saved.id), "count": len(new),
                                        "prospect_ids": [str(p) for p in new[:50]]})
    return {"new_matches": new, "alert_id": alert.id if alert else None}


async def _matching(uow: UnitOfWork, saved: SavedSearch) -> Select[Any]:
    f = saved.filters or {}
    filters = Filters(pool_id=uuid.UUID(f["pool_id"]) if f.get("pool_id") else None, stage=f.get("stage"),
                      tags=f.get("tags") or [], status=f.get("status"), location=f.get("location"))
    if saved.mode == Mode.SEMANTIC:
        await search.tune_vector_scan(uow.session, wanted=repository.MAX_NEW_PER_CHECK)
        return search.semantic(await embed_query(saved.q), filters, min_similarity=SEMANTIC_MATCH)
    return search.fulltext(parse_query(saved.q), filters)[0]


async def get(*, uow: UnitOfWork, saved_id: uuid.UUID, for_update: bool = False) -> SavedSearch:
    """The saved search, or 404."""
    saved = await repository.get(uow.session, saved_id, for_update=for_update)
    if saved is None:
        raise NotFound(f"No saved search with id {saved_id}.")
    return saved


async def list_saved(*, uow: UnitOfWork, paging: Paging, recipient: str | None) -> dict[str, Any]:
    """A page of saved searches, oldest first."""
    return await paging.page(uow.session, repository.listing(recipient=recipient), created_col=SavedSearch.created_at,
                             id_col=SavedSearch.id, filters={"recipient": recipient})


async def delete(*, uow: UnitOfWork, saved_id: uuid.UUID) -> None:
    """Forget the saved search and its matches."""
    await repository.remove(uow.session, await get(uow=uow, saved_id=saved_id))


async def check_all(app: FastAPI) -> int:
    """One round over every saved search with alerts, each in its own transaction; how many alerted."""
    alerted = 0
    async with app.state.uow_factory() as uow:
        ids = await repository.with_alerts(uow.session)
    for saved_id in ids:
        async with app.state.uow_factory() as uow:
            saved = await repository.get(uow.session, saved_id, for_update=True, skip_locked=True)
            if saved is None:  # deleted, or another replica is checking it right now
                continue
            alerted += (await check(uow=uow, saved=saved))["alert_id"] is not None
            await uow.commit()
    return alerted


# Background task of the CRM: look for new matches of every saved search, every few seconds.
async def _round(app: FastAPI) -> None:
    await check_all(app)  # never "busy": pause between rounds


saved_search_worker = repeat(_round, pause=lambda app: app.state.settings.saved_search_check_seconds,
                             name="saved_search_worker")
