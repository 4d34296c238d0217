"""The business flows between the pipeline (ATS) and nurture (CRM), DESIGN.md §3:

1. a CRM prospect pushed to an ATS job becomes a candidate with an application; linked; CRM stage `applied`;
2. an ATS application of someone known to the CRM: the CRM timeline shows it, nurture ends (`applied`);
3. an ATS hire: CRM marks hired, ends every enrollment, excludes from nurture; source of hire from the CRM;
4. an ATS rejection at a late stage: tagged silver medalist, added to the Silver medalists pool, enrolled in the
   pool's sequence when consent allows;
5. an ATS job opens: the CRM finds matching silver medalists and past prospects and alerts the job's recruiter;
7. a merge on either side re-points the link, and merges the other side when both people were linked;
8. an erasure on either side erases the other side; the link becomes a tombstone (email hashes).
Every write carries the gateway's origin and an idempotency key derived from the event, so a replay is harmless."""
from __future__ import annotations

import logging
import uuid
from typing import Any

from prometheus_client import Counter
from shared_schemas.envelope import EventEnvelope
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import GATEWAY_PRINCIPAL

from sync_gateway.clients.peer import PeerClient, PeerRejected
from sync_gateway.consumers.profile_sync import ProfileSync
from sync_gateway.links import repository as links
from sync_gateway.links import tombstones
from sync_gateway.links.models import Link

log = logging.getLogger("sync_gateway.flows")
FLOWS = Counter("gateway_flows_total", "Business flows carried", ["flow"])
STAGE_RANK = {"applied": 0, "screen": 1, "interview": 2, "offer": 3, "hired": 4}
SILVER_MEDALISTS_POOL_ID = "00000000-0000-4000-8000-00000000c0de"
SILVER_TAG = "silver-medalist"


class BusinessFlows:
    """Handlers for application and push events; profile linking is delegated to ProfileSync."""

    def __init__(self, *, ats: PeerClient, crm: PeerClient, profiles: ProfileSync, silver_min_stage: str = "interview") -> None:
        self.ats, self.crm, self.profiles = ats, crm, profiles
        self.silver_min_rank = STAGE_RANK[silver_min_stage]

    async def handle(self, session: AsyncSession, event: EventEnvelope) -> None:
        handler = {
            "crm.prospect.pushed_to_job.v1": self.pushed_to_job,
            "ats.application.created.v1": self.applied,
            "ats.application.hired.v1": self.hired,
            "ats.application.rejected.v1": self.rejected,
            "ats.job.opened.v1": self.job_opened,
            "ats.candidate.merged.v1": self.merged,
            "crm.prospect.merged.v1": self.merged,
            "ats.candidate.erased.v1": self.erased,
            "crm.prospect.erased.v1": self.erased,
        }.get(event.type)
        if handler is None:
            return
        if event.origin == GATEWAY_PRINCIPAL and event.type != "ats.application.created.v1":
            return
        await handler(session, event)

    # --- flow 1 ------------------------------------------------------------------------------------------------
    async def pushed_to_job(self, session: AsyncSession, event: EventEnvelope) -> None:
        data = event.data
        prospect = data["prospect"]
        prospect_id, job_id = uuid.UUID(data["prospect_id"]), data["job_id"]
        link = await links.by_side(session, "crm", prospect_id)
        candidate_id = str(link.ats_candidate_id) if link and link.ats_candidate_id else None
        matched_by = "explicit"
        if candidate_id is None:
            for email in prospect.get("emails", []):
                found = await self.ats.find_by_email(email)
                if found and await links.by_side(session, "ats", uuid.UUID(found["id"])) is None:
                    # created by us: an earlier attempt at this event died after the ATS committed
                    ours = found.get("created_by") == GATEWAY_PRINCIPAL
                    candidate_id, matched_by = found["id"], "created_in_ats" if ours else "email"
                    break
        body: dict[str, Any] = {"job_id": job_id, "source": prospect.get("source") or "crm"}
        if candidate_id:
            body["candidate_id"] = candidate_id
        else:
            fields = ("first_name", "last_name", "emails", "phones", "location", "headline", "tags")
            body["candidate"] = {k: prospect[k] for k in fields if prospect.get(k) not in (None, [])}
            body["candidate"]["source"] = prospect.get("source") or "crm"
            matched_by = "created_in_ats"
        # The key names the body's shape: a retry that now finds the candidate it created sends another body.
        resp = await self.ats.post("/v1/applications", body, idempotency_key=f"sync-gateway:{event.id}:apply:{candidate_id or 'new'}",
                                   causation_id=event.id, allow=(409,))
        application = resp.json()
        if resp.status_code == 409:
            if not application.get("existing_application_id"):
                raise PeerRejected(f"ATS refused the application: {application.get('detail')}")
            application = await self.ats.get_json(f"/v1/applications/{application['existing_application_id']}")
        candidate_id = application["candidate_id"]
        if link is None:
            link = Link(ats_candidate_id=uuid.UUID(candidate_id), crm_prospect_id=prospect_id, matched_by=matched_by,
                        confidence=1.0, caused_by_event=event.id)
            session.add(link)
            await session.flush()
        await self._status(event, prospect_id, "applied", application)
        FLOWS.labels("pushed_to_job").inc()

    # --- flow 2 ------------------------------------------------------------------------------------------------
    async def applied(self, session: AsyncSession, event: EventEnvelope) -> None:
        if event.origin == GATEWAY_PRINCIPAL:
            return  # our own push (flow 1) already told the CRM
        application = event.data["application"]
        link = await self._link_for_candidate(session, uuid.UUID(application["candidate_id"]), event)
        if link is None or link.crm_prospect_id is None:
            return
        await self._status(event, link.crm_prospect_id, "applied", application)
        FLOWS.labels("applied").inc()

    # --- flow 3 ------------------------------------------------------------------------------------------------
    async def hired(self, session: AsyncSession, event: EventEnvelope) -> None:
        application = event.data["application"]
        link = await self._link_for_candidate(session, uuid.UUID(application["candidate_id"]), event)
        if link is None or link.crm_prospect_id is None:
            return
        await self._status(event, link.crm_prospect_id, "hired", application)
        # Source of hire: the CRM knows the first touch (policy prefer_crm_unless_blank).
        prospect = await self.crm.get_json(f"/v1/prospects/{link.crm_prospect_id}")
        first_touch = (prospect or {}).get("source")
        if first_touch and first_touch != "ats_import":
            got = await self.ats.get(application["candidate_id"])
            if got and got[0].get("source") != first_touch:
                await self.ats.patch(application["candidate_id"], {"source": first_touch}, etag=got[1],
                                     causation_id=event.id, source_time=event.time)
        FLOWS.labels("hired").inc()

    # --- flow 4 ------------------------------------------------------------------------------------------------
    async def rejected(self, session: AsyncSession, event: EventEnvelope) -> None:
        data = event.data
        application = data["application"]
        link = await self._link_for_candidate(session, uuid.UUID(application["candidate_id"]), event)
        if link is None or link.crm_prospect_id is None:
            return
        prospect_id = link.crm_prospect_id
        await self._status(event, prospect_id, "rejected" if data["reason"]["kind"] != "they_withdrew" else "withdrawn",
                           application, detail=data["reason"]["name"])
        late = STAGE_RANK.get(data["stage"]["kind"], 0) >= self.silver_min_rank
        if not late or data["reason"]["kind"] == "they_withdrew":
            return
        got = await self.crm.get(prospect_id)
        if got and SILVER_TAG not in got[0]["tags"]:
            await self.crm.patch(prospect_id, {"tags": [*got[0]["tags"], SILVER_TAG]}, etag=got[1],
                                 causation_id=event.id, source_time=event.time)
        pool = await self.crm.get_json(f"/v1/pools/{SILVER_MEDALISTS_POOL_ID}")
        stage = next((s for s in (pool or {}).get("stages", []) if s["name"] == "silver_medalist"), None)
        resp = await self.crm.post(f"/v1/pools/{SILVER_MEDALISTS_POOL_ID}/members",
                                   {"prospect_id": str(prospect_id), **({"stage_id": stage["id"]} if stage else {})},
                                   idempotency_key=f"sync-gateway:{event.id}:silver", causation_id=event.id, allow=(409,))
        if resp.status_code == 409 and stage and resp.json().get("current_stage_id") != stage["id"]:
            await self.crm.post(f"/v1/pools/{SILVER_MEDALISTS_POOL_ID}/members/{prospect_id}/move",
                                {"to_stage_id": stage["id"]}, idempotency_key=f"sync-gateway:{event.id}:silver-move",
                                causation_id=event.id, allow=(409,))
        if pool and pool.get("sequence_id"):
            # Consent is the CRM's to judge: it refuses (4xx) an enrollment that consent does not allow.
            await self.crm.post(f"/v1/sequences/{pool['sequence_id']}/enrollments", {"prospect_id": str(prospect_id)},
                                idempotency_key=f"sync-gateway:{event.id}:enroll", causation_id=event.id,
                                allow=(409, 422))
        FLOWS.labels("silver_medalist").inc()

    # --- flow 5 ------------------------------------------------------------------------------------------------
    async def job_opened(self, session: AsyncSession, event: EventEnvelope) -> None:
        """Ask the CRM for silver medalists and past prospects matching the job; it alerts the job's recruiter."""
        job = event.data["job"]
        await self.crm.post("/v1/rediscovery/job-openings",
                            {"job_id": job["id"], "title": job["title"], "location": job.get("location"),
                             "recruiter": job.get("recruiter"), "description": job.get("description"),
                             "requirements": job.get("requirements")},
                            idempotency_key=f"sync-gateway:{event.id}:rediscover", causation_id=event.id)
        FLOWS.labels("job_opened").inc()

    # --- flow 7 ------------------------------------------------------------------------------------------------
    async def merged(self, session: AsyncSession, event: EventEnvelope) -> None:
        """A merge on one side re-points the link to the survivor; when both people were linked, the other side
        merges too (its survivor is the survivor's partner), so one person never has two links."""
        side = "ats" if event.type.startswith("ats.") else "crm"
        other, client = ("crm", self.crm) if side == "ats" else ("ats", self.ats)
        survivor_id, merged_id = uuid.UUID(event.data["survivor_id"]), uuid.UUID(event.data["merged_id"])
        merged_link = await links.by_side(session, side, merged_id)
        if merged_link is None:
            return
        survivor_link = await links.by_side(session, side, survivor_id)
        if survivor_link is None:
            if side == "ats":
                merged_link.ats_candidate_id = survivor_id
            else:
                merged_link.crm_prospect_id = survivor_id
            await session.flush()
            FLOWS.labels("merge_repointed").inc()
            return
        keep = survivor_link.crm_prospect_id if side == "ats" else survivor_link.ats_candidate_id
        fold = merged_link.crm_prospect_id if side == "ats" else merged_link.ats_candidate_id
        await session.delete(merged_link)
        await session.flush()
        if keep and fold and keep != fold:
            collection = "/v1/prospects" if other == "crm" else "/v1/candidates"
            resp = await client.post(f"{collection}/{keep}/merge", {"duplicate_id": str(fold)},
                                     idempotency_key=f"sync-gateway:{event.id}:merge", causation_id=event.id, allow=(409,))
            if resp.status_code == 409:
                log.warning("the other side refused the merge; its two records stay, only the survivor stays linked",
                            extra={"side": other, "keep": str(keep), "fold": str(fold), "detail": resp.json().get("detail")})
        FLOWS.labels("merge_propagated").inc()

    # --- flow 8 ------------------------------------------------------------------------------------------------
    async def erased(self, session: AsyncSession, event: EventEnvelope) -> None:
        """Erasure on one side erases the other side too; the link becomes a tombstone of email hashes that
        stops the person being silently re-imported."""
        side = "ats" if event.type.startswith("ats.") else "crm"
        record_id = uuid.UUID(event.data["candidate_id" if side == "ats" else "prospect_id"])
        await tombstones.bury(session, event.data.get("email_hashes", []), side)
        link = await links.by_side(session, side, record_id)
        if link is None:
            return
        other_id = link.crm_prospect_id if side == "ats" else link.ats_candidate_id
        client, collection = (self.crm, "/v1/prospects") if side == "ats" else (self.ats, "/v1/candidates")
        if other_id is not None:
            await client.post(f"{collection}/{other_id}/erase", {"reason": f"erased in the {side.upper()}"},
                              idempotency_key=f"sync-gateway:{event.id}:erase", causation_id=event.id, allow=(404, 409))
        await session.delete(link)
        FLOWS.labels("erased").inc()

    # --- helpers -----------------------------------------------------------------------------------------------
    async def _link_for_candidate(self, session: AsyncSession, candidate_id: uuid.UUID, event: EventEnvelope) -> Link | None:
        """The candidate's link; application events may overtake the candidate's own (other topic): link now."""
        link = await links.by_side(session, "ats", candidate_id)
        if link is not None:
            return link
        got = await self.ats.get(candidate_id)
        if got is None:
            return None
        link, _ = await self.profiles._link_candidate(session, got[0], event)
        return link

    async def _status(self, event: EventEnvelope, prospect_id: uuid.UUID, kind: str, application: dict[str, Any],
                      detail: str | None = None) -> None:
        await self.crm.post(f"/v1/prospects/{prospect_id}/status-events",
                            {"kind": kind, "job_id": str(application["job_id"]), "application_id": str(application["id"]),
                             "occurred_at": event.time.isoformat(), **({"detail": detail} if detail else {})},
                            idempotency_key=f"sync-gateway:{event.id}:status-{kind}", causation_id=event.id)
