"""`talent-gateway resync`: re-apply the policy both ways to one person's link now."""
from __future__ import annotations

import argparse
import json
import uuid
from typing import Any

from shared_schemas.policy import SYNCED_PROFILE_FIELDS

from sync_gateway.cli.common import CliError, gateway_and_database, load_settings
from sync_gateway.container import Database, Gateway
from sync_gateway.links import repository as links
from sync_gateway.links.models import Link
from sync_gateway.policy.engine import Side
from sync_gateway.resync import service


async def cmd_resync(args: argparse.Namespace) -> int:
    """`talent-gateway resync --candidate ID | --prospect ID`."""
    side: Side = "ats" if args.candidate else "crm"
    record_id = args.candidate or args.prospect
    noun = "ATS candidate" if side == "ats" else "CRM prospect"
    async with gateway_and_database(load_settings()) as (gateway, db):
        before = await _snapshots(gateway, *(await _ids(gateway, db, side, record_id, noun)))
        link, outcome = await service.resync_person(uow_factory=db.uow_factory, profiles=gateway.profiles, side=side,
                                                    record_id=record_id, causation_id=f"cli-{uuid.uuid4()}")
        if link is None:
            raise CliError(f"{noun} {record_id} has no link")  # unlinked meanwhile
        if outcome == "skipped":
            raise CliError("not re-synced: one side is erased, merged away or gone; the erasure flow removes this link")
        after = await _snapshots(gateway, link.ats_candidate_id, link.crm_prospect_id)
    changed = {s: sorted(f for f in SYNCED_PROFILE_FIELDS if (before.get(s) or {}).get(f) != (after.get(s) or {}).get(f))
               for s in ("ats", "crm")}
    out = _describe(link) | {"changed": changed}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"resynced link {link.id}: ATS candidate {link.ats_candidate_id} <-> CRM prospect {link.crm_prospect_id}")
        for s in ("ats", "crm"):
            print(f"  {s}: {', '.join(changed[s]) if changed[s] else 'unchanged'}")
    return 0


async def _ids(gateway: Gateway, db: Database, side: Side, record_id: uuid.UUID, noun: str) -> tuple[Any, Any]:
    """Both sides' ids of the person's link (read before the resync, to show what it changed)."""
    async with db.uow_factory() as uow:
        link = await links.by_side(uow.session, side, record_id)
        if link is None:
            raise CliError(f"{noun} {record_id} has no link")
        return link.ats_candidate_id, link.crm_prospect_id


async def _snapshots(gateway: Gateway, ats_id: Any, crm_id: Any) -> dict[str, dict[str, Any] | None]:
    out: dict[str, dict[str, Any] | None] = {}
    pairs: tuple[tuple[Side, Any], ...] = (("ats", ats_id), ("crm", crm_id))
    for side, record_id in pairs:
        got = await gateway.profiles.clients[side].get(record_id) if record_id else None
        out[side] = got[0] if got else None
    return out


def _describe(link: Link) -> dict[str, Any]:
    return {"link_id": str(link.id), "ats_candidate_id": str(link.ats_candidate_id) if link.ats_candidate_id else None,
            "crm_prospect_id": str(link.crm_prospect_id) if link.crm_prospect_id else None}
