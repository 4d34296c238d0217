"""The access export (GDPR Art. 15) of one candidate.

Policy on notes: notes written about the candidate are their personal data and are included with their text and
time, `public` and `private` alike; `admin_only` notes are left out: they are the admin's legal and HR matters,
withheld under the exemptions of Art. 15(4) and Art. 23 (the rights of others, legal claims). Scorecards are
included with their ratings, recommendation and notes, the interviewers named only by number (their identity is
the interviewers' own data). EEO self-identification is not in this export: it is kept apart and released only
under the `ats:eeo` scope (GET /v1/eeo-responses?application_id=…)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from talentkit.uow import UnitOfWork

from ats.applications.schemas import ApplicationRead, StageHistoryRead
from ats.candidates import repository as candidate_rows
from ats.candidates.schemas import CandidateRead
from ats.candidates.service import candidates
from ats.exports import repository
from ats.interviews.schemas import InterviewRead
from ats.notes.schemas import NoteRead
from ats.offers.schemas import OfferRead

NOTES_POLICY = ("public and private notes about the candidate are included; admin_only notes are withheld "
                "(Art. 15(4) GDPR: rights of others, legal claims)")


def _dump(schema: Any, rows: list[Any]) -> list[dict[str, Any]]:
    return [schema.model_validate(r).model_dump(mode="json") for r in rows]


async def export(*, uow: UnitOfWork, candidate_id: uuid.UUID) -> dict[str, Any]:
    """Everything the ATS holds about the candidate: profile, applications with stage history, interviews,
    scorecards, offers, notes (under the policy above) and the audit trail's entries about them."""
    session = uow.session
    record = await candidates.get(session, candidate_id)
    apps = await repository.applications(session, candidate_id)
    ids = [a.id for a in apps]
    interviewers: dict[str, str] = {}
    scorecards = []
    for card in await repository.scorecards(session, ids):
        who = interviewers.setdefault(card.interviewer, f"interviewer {len(interviewers) + 1}")
        scorecards.append({"id": str(card.id), "interview_id": str(card.interview_id), "application_id": str(card.application_id),
                           "interviewer": who, "ratings": card.ratings, "overall_recommendation": card.overall_recommendation,
                           "notes": card.notes, "submitted_at": card.submitted_at.isoformat()})
    merged = await candidate_rows.merged_into(session, candidate_id)
    return {
        "system": "ats", "exported_at": datetime.now(UTC).isoformat(), "candidate": CandidateRead.model_validate(record).model_dump(mode="json"),
        "merged_duplicates": [str(m) for m in merged],
        "applications": [{**ApplicationRead.model_validate(a).model_dump(mode="json"),
                          "stage_history": _dump(StageHistoryRead, a.history)} for a in apps],
        "interviews": _dump(InterviewRead, await repository.interviews(session, ids)),
        "scorecards": scorecards,
        "offers": _dump(OfferRead, await repository.offers(session, ids)),
        "notes": _dump(NoteRead, await repository.notes(session, candidate_id)),
        "notes_policy": NOTES_POLICY,
        "audit_trail": [{"occurred_at": e.occurred_at.isoformat(), "action": e.action, "target_type": e.target_type,
                         "target_id": e.target_id, "changes": e.recorded_changes}
                        for e in await repository.audit_entries(session, candidate_id, merged)],
    }
