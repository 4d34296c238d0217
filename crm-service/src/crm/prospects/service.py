"""Prospect use cases: the shared profile rules bound to the CRM's topic and event types, plus the guard every
write naming a prospect goes through (erased: 410, merged: 409 with the survivor)."""
from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.profiles.service import ProfileEvents, ProfileService

from crm.prospects.models import Prospect


class ProspectService(ProfileService[Prospect]):
    """Profiles of the CRM; writes refuse erased and merged prospects."""

    async def writable(self, session: AsyncSession, id: uuid.UUID) -> Prospect:
        """The prospect, locked for a change; 404 unknown, 410 erased, 409 merged."""
        record = await self.get(session, id, for_update=True)
        record.ensure_writable()
        return record

    async def live(self, session: AsyncSession, id: uuid.UUID) -> Prospect | None:
        """The prospect a public token names, following merges to the survivor; None when unknown or erased."""
        for _ in range(5):
            record = await self.repo.get(session, id)
            if record is None or record.status == "erased":
                return None
            if record.merged_into_id is None:
                return record
            id = record.merged_into_id
        return None

    def check_writable(self, record: Prospect) -> None:
        """Changes are refused for an erased (410) or merged (409) prospect."""
        record.ensure_writable()


prospects = ProspectService(Prospect, ProfileEvents(
    aggregate="prospect", created_type="crm.prospect.created.v1", updated_type="crm.prospect.updated.v1"))
