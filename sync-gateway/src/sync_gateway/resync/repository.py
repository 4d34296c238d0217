"""Every query on resync jobs and on the links a job walks through."""
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sync_gateway.links.models import Link
from sync_gateway.resync.models import ACTIVE, ACTIVE_PREDICATE, ResyncJob


async def add(session: AsyncSession, values: dict[str, Any]) -> ResyncJob | None:
    """Queue a job; None when its scope already has an active one (the partial unique index decides, so two
    requests at once cannot both win)."""
    stmt = (insert(ResyncJob).values(id=uuid.uuid4(), status="queued", done=0, skipped=0, failed=0, conflicts=0,
                                     errors=[], claims=0, **values)
            .on_conflict_do_nothing(index_elements=["scope"], index_where=ACTIVE_PREDICATE)
            .returning(ResyncJob.id))
    job_id = (await session.execute(stmt)).scalar_one_or_none()
    return None if job_id is None else await session.get(ResyncJob, job_id)


async def active_in_scope(session: AsyncSession, scope: str) -> ResyncJob | None:
    """The queued or running job of a scope."""
    stmt = select(ResyncJob).where(ResyncJob.scope == scope, ResyncJob.status.in_(ACTIVE))
    return (await session.execute(stmt)).scalar_one_or_none()


async def get(session: AsyncSession, job_id: uuid.UUID, *, for_update: bool = False) -> ResyncJob | None:
    """One job (locked for this transaction when `for_update`)."""
    stmt = select(ResyncJob).where(ResyncJob.id == job_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


def listing(*, status: str | None) -> Select:  # type: ignore[type-arg]
    """Jobs, optionally of one status."""
    stmt = select(ResyncJob)
    return stmt.where(ResyncJob.status == status) if status else stmt


async def claim(session: AsyncSession, *, runner: str, lease: timedelta) -> ResyncJob | None:
    """Take the oldest queued job, or a running one whose runner stopped renewing its lease (a dead process);
    SKIP LOCKED: two runners never take the same job."""
    now = datetime.now(UTC)
    stmt = (select(ResyncJob)
            .where(or_(ResyncJob.status == "queued",
                       and_(ResyncJob.status == "running", ResyncJob.heartbeat_at < now - lease)))
            .order_by(ResyncJob.created_at).limit(1).with_for_update(skip_locked=True))
    job = (await session.execute(stmt)).scalar_one_or_none()
    if job is None:
        return None
    job.status, job.runner, job.heartbeat_at, job.claims = "running", runner, now, job.claims + 1
    job.started_at = job.started_at or now
    await session.flush()
    return job


def _in_scope(job: ResyncJob) -> Any:
    if job.all_links:
        return True
    return or_(Link.ats_candidate_id.in_(job.ats_candidate_ids or []), Link.crm_prospect_id.in_(job.crm_prospect_ids or []))


async def count_links(session: AsyncSession, job: ResyncJob) -> int:
    """How many links the job covers now."""
    return (await session.execute(select(func.count()).select_from(Link).where(_in_scope(job)))).scalar_one()


async def links_after(session: AsyncSession, job: ResyncJob, cursor: uuid.UUID | None, limit: int) -> list[Link]:
    """The job's next links, in id order after `cursor`."""
    stmt = select(Link).where(_in_scope(job))
    if cursor is not None:
        stmt = stmt.where(Link.id > cursor)
    return list((await session.execute(stmt.order_by(Link.id).limit(limit))).scalars())


async def report(session: AsyncSession, job_id: uuid.UUID, runner: str, **values: Any) -> bool:
    """Renew the runner's lease and store progress; False when the job is no longer this runner's (cancelled, or
    taken over after its lease ran out)."""
    stmt = (update(ResyncJob)
            .where(ResyncJob.id == job_id, ResyncJob.runner == runner, ResyncJob.status == "running")
            .values(heartbeat_at=datetime.now(UTC), **values).returning(ResyncJob.id))
    return (await session.execute(stmt)).first() is not None
