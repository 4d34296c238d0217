"""The access export (GDPR Art. 15) of one prospect: the profile, then every row of every CRM table about them
(consent and its history, suppressions, timeline and notes, messages with their text, engagement, pools,
enrollments, pushes, alerts), their merged duplicates' included."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from talentkit.uow import UnitOfWork

from crm.alerts import repository as alert_rows
from crm.exports import repository
from crm.prospects import repository as prospect_rows
from crm.prospects.schemas import ProspectRead
from crm.prospects.service import prospects


async def export(*, uow: UnitOfWork, prospect_id: uuid.UUID) -> dict[str, Any]:
    """Everything the CRM holds about the prospect, as one JSON document."""
    record = await prospects.get(uow.session, prospect_id)
    merged = await prospect_rows.merged_into(uow.session, prospect_id)
    return {"system": "crm", "exported_at": datetime.now(UTC).isoformat(),
            "prospect": ProspectRead.model_validate(record).model_dump(mode="json"),
            "merged_duplicates": [str(m) for m in merged],
            "records": await repository.rows_about(uow.session, [prospect_id, *merged]),
            "alerts": [{"id": str(a.id), "kind": a.kind, "title": a.title, "created_at": a.created_at.isoformat(),
                        "data": a.data} for a in await alert_rows.mentioning(uow.session, prospect_id)],
            "art14": {"due_at": record.art14_due_at, "sent_at": record.art14_sent_at}}
