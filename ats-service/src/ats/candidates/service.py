"""Candidate use cases: the shared profile rules bound to the ATS's topic and event types, plus merging."""
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.errors import Conflict, Unprocessable, field_error
from talentkit.profiles.erasure import anonymise
from talentkit.profiles.service import ProfileEvents, ProfileService

from ats.audit import service as audit
from ats.candidates.models import Candidate
from ats.events import emit

candidates = ProfileService(Candidate, ProfileEvents(
    aggregate="candidate", created_type="ats.candidate.created.v1", updated_type="ats.candidate.updated.v1"))


async def merge(session: AsyncSession, survivor_id: uuid.UUID, duplicate_id: uuid.UUID, ctx: RequestContext) -> Candidate:
    """Fold `duplicate_id` into `survivor_id`: its applications (with their stage history) and notes move over,
    contact points and tags are added to the survivor, the duplicate is marked merged. One application per job:
    when both applied to the same job, the merge is refused (409) until one of them is resolved."""
    from ats.applications.models import Application

    if survivor_id == duplicate_id:
        raise Unprocessable("A candidate cannot be merged into itself.", errors=[field_error("duplicate_id", "same as the survivor")])
    first, second = sorted([survivor_id, duplicate_id])  # lock in a fixed order: no deadlock between opposite merges
    locked = {c.id: c for c in [await candidates.get(session, first, for_update=True), await candidates.get(session, second, for_update=True)]}
    survivor, duplicate = locked[survivor_id], locked[duplicate_id]
    for c in (survivor, duplicate):
        if c.merged_into_id:
            raise Conflict(f"Candidate {c.id} was already merged into {c.merged_into_id}.", merged_into_id=str(c.merged_into_id))
    apps = (await session.execute(select(Application).where(Application.candidate_id.in_([survivor_id, duplicate_id])))).scalars().all()
    survivor_jobs = {a.job_id for a in apps if a.candidate_id == survivor_id}
    clashes = [a for a in apps if a.candidate_id == duplicate_id and a.job_id in survivor_jobs]
    if clashes:
        raise Conflict("Both candidates applied to the same job; reject or transfer one of the applications first.",
                       job_ids=[str(a.job_id) for a in clashes])
    moved = [a for a in apps if a.candidate_id == duplicate_id]
    for a in moved:
        a.candidate_id = survivor_id
        a.bump()
    try:
        from ats.notes.models import Note
        await session.execute(update(Note).where(Note.candidate_id == duplicate_id).values(candidate_id=survivor_id))
    except ImportError:  # notes not installed
        pass
    union = {f: list(dict.fromkeys([*getattr(survivor, f), *getattr(duplicate, f)])) for f in ("emails", "phones", "tags")}
    extra = {f: v for f, v in union.items() if v != getattr(survivor, f)}
    if extra:
        await candidates.update(session, survivor_id, extra, if_match="*", ctx=ctx)
    duplicate.merged_into_id = survivor_id
    duplicate.version += 1
    await session.flush()
    await emit(session, ctx, "ats.candidate.merged.v1", aggregate_id=duplicate_id, sequence=duplicate.version,
               data={"survivor_id": survivor_id, "merged_id": duplicate_id, "candidate": survivor.snapshot()})
    await audit.record(session, ctx, "candidate.merged", "candidate", survivor_id,
                       {"merged_id": {"before": None, "after": str(duplicate_id)},
                        "applications_moved": {"before": None, "after": [str(a.id) for a in moved]},
                        **{f: {"before": getattr(duplicate, f), "after": v} for f, v in extra.items()}})
    await audit.record(session, ctx, "candidate.merged_into", "candidate", duplicate_id,
                       {"merged_into_id": {"before": None, "after": str(survivor_id)}})
    return survivor


async def erase(session: AsyncSession, candidate_id: uuid.UUID, reason: str | None, ctx: RequestContext) -> Candidate:
    """Right to be forgotten: anonymise the candidate and their notes; applications, stage history and the audit
    trail stay (no personal data in them beyond ids; the audit trail is the legal record). Emits
    `ats.candidate.erased.v1` with email hashes only."""
    from ats.notes.models import Note

    record = await candidates.get(session, candidate_id, for_update=True)
    if record.erased_at:
        raise Conflict("The candidate is already erased.")
    hashes = anonymise(record, ctx.actor)
    record.erased_at = datetime.now(UTC)
    await session.execute(update(Note).where(Note.candidate_id == candidate_id).values(body="[erased]"))
    await session.flush()
    await emit(session, ctx, "ats.candidate.erased.v1", aggregate_id=candidate_id, sequence=record.version,
               data={"candidate_id": candidate_id, "email_hashes": hashes, "reason": reason})
    await audit.record(session, ctx, "candidate.erased", "candidate", candidate_id,
                       {"erased": {"before": False, "after": True}, "reason": {"before": None, "after": reason}})
    return record
