"""Note queries, and the candidate's activity feed: notes and audit entries merged, newest first."""
from __future__ import annotations

import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    Select,
    Text,
    and_,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from talentkit.auth import Principal

from ats.applications.models import Application
from ats.audit.models import AuditEvent, AuditPersonalValues
from ats.interviews.models import Interview
from ats.notes.models import Note, Visibility, is_admin
from ats.offers.models import Offer
from ats.resumes.models import Resume
from ats.scorecards import repository as scorecards
from ats.scorecards.models import Scorecard


def visible_to(principal: Principal, reader: str) -> ColumnElement[bool]:
    """Public notes, the reader's own private notes, and admin-only notes for the admin."""
    shown = [Note.visibility == Visibility.PUBLIC, and_(Note.visibility == Visibility.PRIVATE, Note.author == reader)]
    if is_admin(principal):
        shown.append(Note.visibility == Visibility.ADMIN_ONLY)
    return or_(*shown)


def listing(candidate_id: uuid.UUID, principal: Principal, reader: str, updated_after: datetime | None) -> Select[Any]:
    stmt = select(Note).where(Note.candidate_id == candidate_id, visible_to(principal, reader))
    return stmt.where(Note.updated_at > updated_after) if updated_after else stmt


async def erase_bodies(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    """Blank the text of every note on the candidate."""
    await session.execute(update(Note).where(Note.candidate_id == candidate_id).values(body="[erased]"))


async def move(session: AsyncSession, from_candidate: uuid.UUID, to_candidate: uuid.UUID) -> None:
    """Re-point every note of one candidate to another."""
    await session.execute(update(Note).where(Note.candidate_id == from_candidate).values(candidate_id=to_candidate))


def _targets(candidate_id: uuid.UUID) -> ColumnElement[bool]:
    """Audit entries about the candidate or anything of its applications."""
    apps = select(Application.id).where(Application.candidate_id == candidate_id)
    ids = lambda model, fk: select(cast(model.id, Text)).where(fk.in_(apps))
    return or_(
        and_(AuditEvent.target_type == "candidate", AuditEvent.target_id == str(candidate_id)),
        and_(AuditEvent.target_type == "application", AuditEvent.target_id.in_(ids(Application, Application.id))),
        and_(AuditEvent.target_type == "interview", AuditEvent.target_id.in_(ids(Interview, Interview.application_id))),
        and_(AuditEvent.target_type == "scorecard", AuditEvent.target_id.in_(ids(Scorecard, Scorecard.application_id))),
        and_(AuditEvent.target_type == "offer", AuditEvent.target_id.in_(ids(Offer, Offer.application_id))),
        and_(AuditEvent.target_type == "resume",
             AuditEvent.target_id.in_(select(cast(Resume.id, Text)).where(Resume.candidate_id == candidate_id))),
    )


async def activity(session: AsyncSession, candidate_id: uuid.UUID, principal: Principal, reader: str, *,
                   updated_after: datetime | None, after: list[str] | None, limit: int) -> list[Any]:
    """Up to `limit` feed rows, newest first, strictly after the cursor key `[at, kind, key]`."""
    notes = select(Note.created_at.label("at"), literal_column("'note'").label("kind"), cast(Note.id, Text).label("key"),
                   literal_column("'note.created'").label("action"), literal_column("'note'").label("target_type"),
                   cast(Note.id, Text).label("target_id"), Note.author.label("actor"), null().cast(JSONB).label("changes"),
                   Note.body.label("body"), Note.visibility.label("visibility")
                   ).where(Note.candidate_id == candidate_id, visible_to(principal, reader))
    changes = AuditEvent.changes.op("||")(func.coalesce(AuditPersonalValues.values, literal_column("'{}'::jsonb")))
    audits = (select(AuditEvent.occurred_at, literal_column("'audit'"), func.lpad(cast(AuditEvent.id, Text), 20, "0"),
                     AuditEvent.action, AuditEvent.target_type, AuditEvent.target_id, AuditEvent.actor,
                     changes, null().cast(Text), null().cast(Text))
              .outerjoin(AuditPersonalValues, AuditPersonalValues.entry_id == AuditEvent.id).where(_targets(candidate_id)))
    feed = union_all(notes, audits).subquery()
    stmt = select(feed)
    if updated_after:
        stmt = stmt.where(feed.c.at > updated_after)
    if after:
        stmt = stmt.where(tuple_(feed.c.at, feed.c.kind, feed.c.key) < (datetime.fromisoformat(after[0]), after[1], after[2]))
    stmt = stmt.order_by(feed.c.at.desc(), feed.c.kind.desc(), feed.c.key.desc()).limit(limit)
    rows = list((await session.execute(stmt)).all())
    # Blind feedback: what a scorecard said stays out of the feed of an interviewer who still owes theirs.
    hidden = {str(i) for i in await scorecards.hidden_from(session, reader.lower(), [
        uuid.UUID(r.target_id) for r in rows if r.kind == "audit" and r.target_type == "scorecard"])}
    return [SimpleNamespace(**(r._asdict() | ({"changes": None} if r.target_type == "scorecard" and r.target_id in hidden
                                               else {}))) for r in rows]
