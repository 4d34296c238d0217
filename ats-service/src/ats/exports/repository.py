"""Every row about one candidate, for the access export."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Text, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from ats.applications.models import Application
from ats.audit.models import AuditEvent
from ats.background_checks.models import BackgroundCheck
from ats.careers.models import CareerApplication
from ats.interviews.models import Interview
from ats.notes.models import Note, Visibility
from ats.offers.models import Offer
from ats.resumes.models import Resume
from ats.scorecards.models import Scorecard


async def _all(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.execute(stmt)).scalars())


async def applications(session: AsyncSession, candidate_id: uuid.UUID) -> list[Application]:
    return await _all(session, select(Application).where(Application.candidate_id == candidate_id).order_by(Application.applied_at))


async def interviews(session: AsyncSession, application_ids: list[uuid.UUID]) -> list[Interview]:
    return await _all(session, select(Interview).where(Interview.application_id.in_(application_ids)).order_by(Interview.starts_at))


async def scorecards(session: AsyncSession, application_ids: list[uuid.UUID]) -> list[Scorecard]:
    return await _all(session, select(Scorecard).where(Scorecard.application_id.in_(application_ids)).order_by(Scorecard.submitted_at))


async def offers(session: AsyncSession, application_ids: list[uuid.UUID]) -> list[Offer]:
    return await _all(session, select(Offer).where(Offer.application_id.in_(application_ids)).order_by(Offer.created_at))


async def notes(session: AsyncSession, candidate_id: uuid.UUID) -> list[Note]:
    """The candidate's notes except `admin_only` ones (see the export's policy)."""
    return await _all(session, select(Note).where(Note.candidate_id == candidate_id,
                                                  Note.visibility != Visibility.ADMIN_ONLY).order_by(Note.created_at))


async def audit_entries(session: AsyncSession, candidate_id: uuid.UUID, merged: list[uuid.UUID]) -> list[AuditEvent]:
    """Entries about the candidate, but not those of notes (the notes themselves are exported under their policy)."""
    people = [str(p) for p in (candidate_id, *merged)]
    return await _all(session, select(AuditEvent).where(or_(AuditEvent.subject_id.in_(people), cast(
        AuditEvent.target_id, Text).in_(people)), AuditEvent.target_type != "note").order_by(AuditEvent.id))


async def resumes(session: AsyncSession, candidate_id: uuid.UUID) -> list[Resume]:
    """The candidate's resumes with their text (not the file's bytes: the export links to the download)."""
    return await _all(session, select(Resume).options(undefer(Resume.text)).where(
        Resume.candidate_id == candidate_id, Resume.erased_at.is_(None)).order_by(Resume.created_at, Resume.id))


async def career_applications(session: AsyncSession, candidate_id: uuid.UUID) -> list[CareerApplication]:
    """What the candidate sent through the careers form, per application."""
    return await _all(session, select(CareerApplication).where(CareerApplication.candidate_id == candidate_id)
                      .order_by(CareerApplication.created_at))


async def background_checks(session: AsyncSession, candidate_id: uuid.UUID) -> list[BackgroundCheck]:
    return await _all(session, select(BackgroundCheck).where(BackgroundCheck.candidate_id == candidate_id)
                      .order_by(BackgroundCheck.created_at))


async def check_history(session: AsyncSession, check_ids: list[uuid.UUID]) -> list[AuditEvent]:
    """The audit trail's entries of these background checks, oldest first: their status history."""
    return await _all(session, select(AuditEvent).where(AuditEvent.target_type == "background_check", AuditEvent.target_id.in_(
        [str(i) for i in check_ids])).order_by(AuditEvent.id))
