"""Carrying out data-subject requests: find the person on both sides by email (and through the gateway's links),
then export, erase or rectify. HTTP calls to the ATS and CRM are made outside any database transaction; each
step's outcome is stored, and a request a side could not serve stays `in_progress` for a retry. Every time (received,
due, done) comes from the app's clock, so tests can move it past the due date."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from talentkit.auth import RequestContext
from talentkit.clock import Clock
from talentkit.errors import NotFound
from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork, UnitOfWorkFactory

from sync_gateway.clients.peer import PeerClient, PeerUnavailable
from sync_gateway.conflicts import repository as conflicts
from sync_gateway.links import tombstones
from sync_gateway.subject_requests import repository
from sync_gateway.subject_requests.models import DataSubjectRequest, RequestType
from sync_gateway.webhooks import repository as webhooks

COLLECTIONS = {"ats": "/v1/candidates", "crm": "/v1/prospects"}


@dataclass
class Peers:
    ats: PeerClient
    crm: PeerClient

    def of(self, side: str) -> PeerClient:
        return self.ats if side == "ats" else self.crm


async def receive(*, uows: UnitOfWorkFactory, peers: Peers, values: dict[str, Any], clock: Clock,
                  ctx: RequestContext) -> DataSubjectRequest:
    """Record the request (due in a month); carry it out at once when the identity is verified."""
    async with uows(ctx) as uow:
        req = DataSubjectRequest.receive(**values, now=clock.now(), actor=ctx.actor)
        uow.session.add(req)
        await uow.commit()
    if not req.identity_verified:
        return req
    return await carry_out(uows=uows, peers=peers, request_id=req.id, clock=clock, ctx=ctx)


async def verify(*, uows: UnitOfWorkFactory, peers: Peers, request_id: uuid.UUID, clock: Clock,
                 ctx: RequestContext) -> DataSubjectRequest:
    """The identity was checked: carry the request out."""
    async with uows(ctx) as uow:
        (await _get(uow.session, request_id, for_update=True)).verified(clock.now())
        await uow.commit()
    return await carry_out(uows=uows, peers=peers, request_id=request_id, clock=clock, ctx=ctx)


async def list_requests(*, uow: UnitOfWork, paging: Paging, status: str | None, overdue: bool | None,
                        now: datetime) -> dict[str, Any]:
    """A page of requests, oldest first (`overdue`: past their due date at `now` and not completed)."""
    return await paging.page(uow.session, repository.listing(status=status, overdue=overdue, now=now),
                             created_col=DataSubjectRequest.created_at, id_col=DataSubjectRequest.id,
                             filters={"status": status, "overdue": overdue})


async def get(*, uows: UnitOfWorkFactory, request_id: uuid.UUID) -> DataSubjectRequest:
    """The request, or 404."""
    async with uows() as uow:
        req = await _get(uow.session, request_id)
        uow.session.expunge(req)  # read-only: detached as loaded, before the unit of work rolls back
        return req


async def _get(session: Any, request_id: uuid.UUID, for_update: bool = False) -> DataSubjectRequest:
    req = await repository.get(session, request_id, for_update=for_update)
    if req is None:
        raise NotFound(f"No data-subject request with id {request_id}.")
    return req


async def carry_out(*, uows: UnitOfWorkFactory, peers: Peers, request_id: uuid.UUID, clock: Clock,
                    ctx: RequestContext) -> DataSubjectRequest:
    """Do what the request asks, on both sides and in the gateway; 409 when it is not ready."""
    async with uows(ctx) as uow:
        req = await _get(uow.session, request_id)
        req.ready()
        kind, emails, changes, hashes = req.type, list(req.emails), dict(req.changes), list(req.email_hashes)
        about = {"id": str(req.id), "type": req.type, "received_at": req.received_at.isoformat()}
    try:
        found = await _find(uows, peers, emails)
        if kind == RequestType.ACCESS:
            outcome, bundle, blocked = {"found": found}, await _bundle(uows, peers, found, about, clock.now()), False
        elif kind == RequestType.ERASURE:
            outcome, blocked = await _erase(peers, found, request_id)
            bundle = None
        else:
            outcome, blocked, bundle = await _rectify(peers, found, changes, request_id), False, None
    except PeerUnavailable as exc:
        async with uows(ctx) as uow:
            req = await _get(uow.session, request_id, for_update=True)
            req.outcome = {**req.outcome, "error": str(exc)}
            await uow.commit()
            return req
    async with uows(ctx) as uow:
        req = await _get(uow.session, request_id, for_update=True)
        now = clock.now()
        if kind == RequestType.ERASURE and not blocked:
            await _forget_in_gateway(uow.session, found, hashes, now)
        req.done(outcome, now, blocked=blocked, bundle=bundle)
        await uow.commit()
        return req


async def _find(uows: UnitOfWorkFactory, peers: Peers, emails: list[str]) -> dict[str, list[str]]:
    """The person's record ids on each side: by email, and through the gateway's links."""
    found: dict[str, set[str]] = {"ats": set(), "crm": set()}
    for side in found:
        for address in emails:
            page = await peers.of(side).get_json(COLLECTIONS[side], email=address, limit=200) or {"data": []}
            found[side] |= {r["id"] for r in page["data"]}
    async with uows() as uow:
        for link in await repository.links_of(uow.session, [uuid.UUID(i) for i in found["ats"]],
                                              [uuid.UUID(i) for i in found["crm"]]):
            found["ats"] |= {str(link.ats_candidate_id)} if link.ats_candidate_id else set()
            found["crm"] |= {str(link.crm_prospect_id)} if link.crm_prospect_id else set()
    return {side: sorted(ids) for side, ids in found.items()}


async def _bundle(uows: UnitOfWorkFactory, peers: Peers, found: dict[str, list[str]], about: dict[str, str],
                  now: datetime) -> dict[str, Any]:
    """One JSON document: each side's export of each record, and what the gateway holds."""
    bundle: dict[str, Any] = {"request": about, "generated_at": now.isoformat()}
    for side, ids in found.items():
        bundle[side] = [await peers.of(side).get_json(f"{COLLECTIONS[side]}/{i}/export") for i in ids]
    people = [*found["ats"], *found["crm"]]
    async with uows() as uow:
        links = await repository.links_of(uow.session, [uuid.UUID(i) for i in found["ats"]], [uuid.UUID(i) for i in found["crm"]])
        bundle["gateway"] = {
            "links": [{"id": str(x.id), "ats_candidate_id": str(x.ats_candidate_id), "crm_prospect_id": str(x.crm_prospect_id),
                       "matched_by": getattr(x, "matched_by", None), "created_at": x.created_at.isoformat()} for x in links],
            "conflicts": [{"field": c.field, "ats_value": c.ats_value, "crm_value": c.crm_value, "rule": c.rule,
                           "winner": c.winner, "created_at": c.created_at.isoformat()}
                          for c in await repository.conflicts_of(uow.session, [x.id for x in links])],
            "webhook_deliveries": [{"endpoint_id": str(d.endpoint_id), "event_id": d.event_id, "event_type": d.event_type,
                                    "status": d.status} for d in await webhooks.deliveries_about(uow.session, people)],
            "dead_letters": [{"event_id": d.event_id, "event_type": d.event_type, "error": d.error, "status": d.status}
                             for d in await repository.dead_letters_about(uow.session, people)],
        }
    return bundle


async def _erase(peers: Peers, found: dict[str, list[str]], request_id: uuid.UUID) -> tuple[dict[str, Any], bool]:
    """Erase every record on both sides; a refusal other than "already erased" (a legal hold) blocks."""
    outcome: dict[str, Any] = {}
    blocked = False
    for side, ids in found.items():
        for record_id in ids:
            r = await peers.of(side).post(f"{COLLECTIONS[side]}/{record_id}/erase", {"reason": "data_subject_request"},
                                          idempotency_key=f"dsar:{request_id}:{record_id}", causation_id=str(request_id),
                                          allow=(404, 409, 410))
            held = r.status_code == 409 and (r.json().get("reason") == "legal_hold")
            blocked |= held
            outcome.setdefault(side, []).append({"id": record_id, "result": "blocked" if held else "erased",
                                                 **({"detail": r.json().get("detail")} if held else {})})
    return outcome, blocked


async def _rectify(peers: Peers, found: dict[str, list[str]], changes: dict[str, Any], request_id: uuid.UUID) -> dict[str, Any]:
    """The corrected fields written on every record of both sides (under If-Match)."""
    outcome: dict[str, Any] = {}
    for side, ids in found.items():
        for record_id in ids:
            got = await peers.of(side).get(record_id)
            if got is not None:
                await peers.of(side).patch(record_id, changes, etag=got[1], causation_id=f"dsar:{request_id}", source_time=None)
            outcome.setdefault(side, []).append({"id": record_id, "result": "rectified" if got else "not_found"})
    return outcome


async def _forget_in_gateway(session: Any, found: dict[str, list[str]], hashes: list[str], now: datetime) -> None:
    """Links (their conflicts first), webhook deliveries, dead letters and earlier requests' data go; the email
    hashes become tombstones that stop a silent re-import."""
    people = [*found["ats"], *found["crm"]]
    for link in await repository.links_of(session, [uuid.UUID(i) for i in found["ats"]], [uuid.UUID(i) for i in found["crm"]]):
        await conflicts.forget(session, link.id)
        await session.delete(link)
    await tombstones.bury(session, hashes, "gateway")
    await webhooks.forget_deliveries(session, people)
    await repository.forget_dead_letters(session, people)
    for earlier in await repository.about_hashes(session, hashes):
        earlier.forget(now)
