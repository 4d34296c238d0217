"""The access export (GDPR Art. 15) of one candidate.

Policy on notes: notes written about the candidate are their personal data and are included with their text and
time, `public` and `private` alike; `admin_only` notes are left out: they are the admin's legal and HR matters,
withheld under the exemptions of Art. 15(4) and Art. 23 (the rights of others, legal claims). Scorecards are
included with their ratings, recommendation and notes, the interviewers named only by number (their identity is
the interviewers' own data). Resumes are described (file name, type, size, sha256, when uploaded, the fields and
text read from them) and linked to their download, not inlined: the bundle stays JSON of a sensible size. EEO
self-identification is not in this export: it is kept apart and released only under the `ats:eeo` scope
(GET /v1/eeo-responses?application_id=…), so a reader of the export (`ats:read`, or the gateway's bundle) never
sees it."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from talentkit.uow import UnitOfWork

from ats.applications.schemas import ApplicationRead, StageHistoryRead
from ats.background_checks.schemas import CheckRead
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
    """Everything the ATS holds about the candidate: profile, applications with stage history (and HRIS hand-off),
    careers-form answers, resumes, background checks with their status history, interviews, scorecards, offers,
    notes (under the policy above) and the audit trail's entries about them."""
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
        "careers_form": [_career_form(c) for c in await repository.career_applications(session, candidate_id)],
        "resumes": [_resume(r) for r in await repository.resumes(session, candidate_id)],
        "background_checks": await _background_checks(session, candidate_id),
        "interviews": _dump(InterviewRead, await repository.interviews(session, ids)),
        "scorecards": scorecards,
        "offers": _dump(OfferRead, await repository.offers(session, ids)),
        "notes": _dump(NoteRead, await repository.notes(session, candidate_id)),
        "notes_policy": NOTES_POLICY,
        "audit_trail": [{"occurred_at": e.occurred_at.isoformat(), "action": e.action, "target_type": e.target_type,
                         "target_id": e.target_id, "changes": e.recorded_changes}
                        for e in await repository.audit_entries(session, candidate_id, merged)],
    }


def _resume(resume: Any) -> dict[str, Any]:
    return {"id": str(resume.id), "filename": resume.filename, "content_type": resume.content_type,
            "size_bytes": resume.size_bytes, "sha256": resume.sha256, "pages": resume.pages,
            "uploaded_at": resume.created_at.isoformat(), "fields": resume.fields, "text": resume.text,
            "download": f"/v1/candidates/{resume.candidate_id}/resumes/{resume.id}/file"}


def _career_form(form: Any) -> dict[str, Any]:
    return {"application_id": str(form.application_id), "answers": form.answers, "knocked_out_by": form.knocked_out_by,
            "resume_id": str(form.resume_id) if form.resume_id else None, "resume_filename": form.resume_filename,
            "talent_pool_consent_at": form.talent_pool_consent_at.isoformat() if form.talent_pool_consent_at else None,
            "consent_text_version": form.consent_text_version, "sent_at": form.created_at.isoformat()}


async def _background_checks(session: Any, candidate_id: uuid.UUID) -> list[dict[str, Any]]:
    checks = await repository.background_checks(session, candidate_id)
    history: dict[str, list[dict[str, Any]]] = {}
    for e in await repository.check_history(session, [c.id for c in checks]):
        history.setdefault(e.target_id, []).append({"occurred_at": e.occurred_at.isoformat(), "action": e.action,
                                                    "changes": e.recorded_changes})
    return [{**CheckRead.model_validate(c).model_dump(mode="json"), "status_history": history.get(str(c.id), [])}
            for c in checks]
