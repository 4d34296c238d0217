"""Background check use cases: order one (with consent), invite at the provider (after commit), apply the
provider's verified webhooks, and the adverse-action decisions with their notices to the candidate."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from talentkit.auth import RequestContext
from talentkit.errors import Conflict, NotFound, Unprocessable, field_error
from talentkit.uow import UnitOfWork

from ats.applications import service as applications
from ats.applications.models import ApplicationStatus
from ats.background_checks import repository
from ats.background_checks.models import BackgroundCheck, CheckStatus
from ats.background_checks.provider import Invitation
from ats.background_checks.webhooks import ProviderUpdate
from ats.candidates.service import candidates
from ats.mail.service import Mail, queue
from ats.tasks import repository as tasks

KIND = "background_check"
PROVIDER_ACTOR = "background-check-provider"


async def get(*, uow: UnitOfWork, check_id: uuid.UUID, for_update: bool = False) -> BackgroundCheck:
    """The check, or 404."""
    check = await repository.get(uow.session, check_id, for_update=for_update)
    if check is None:
        raise NotFound(f"No background check with id {check_id}.")
    return check


async def of_application(*, uow: UnitOfWork, application_id: uuid.UUID) -> list[BackgroundCheck]:
    """The application's checks, oldest first (404 for an unknown application)."""
    await applications.get(uow=uow, application_id=application_id)
    return await repository.of_application(uow.session, application_id)


async def order(*, uow: UnitOfWork, application_id: uuid.UUID, package: str, consent_given_at: datetime,
                consent_text_version: str, now: datetime, ctx: RequestContext) -> BackgroundCheck:
    """Order a check for an active application; the provider is asked after the commit."""
    app = await applications.get(uow=uow, application_id=application_id, for_update=True)
    if app.status != ApplicationStatus.ACTIVE:
        raise Conflict(f"Background checks need an active application; this one is {app.status}.",
                       application_status=str(app.status))
    if consent_given_at > now:
        raise Unprocessable("Consent cannot be given in the future.", errors=[field_error("consent.given_at", "in the future")])
    person = await candidates.get(uow.session, app.candidate_id)
    if not person.emails:
        raise Conflict("The candidate has no email address for the provider's invitation.")
    check = BackgroundCheck.order(application_id=app.id, candidate_id=app.candidate_id, package=package,
                                  consent_given_at=consent_given_at, consent_text_version=consent_text_version,
                                  actor=ctx.actor)
    uow.session.add(check)
    await uow.flush()
    await tasks.enqueue(uow.session, kind=KIND, dedupe_key=f"bgc:{check.id}", payload={"check_id": str(check.id)},
                        now=datetime.now(UTC))  # tasks run on wall time
    return check


async def invitee(*, uow: UnitOfWork, check_id: uuid.UUID) -> dict[str, str] | None:
    """Who the provider should invite, or None when the check no longer waits for an invitation."""
    check = await get(uow=uow, check_id=check_id)
    if check.status != CheckStatus.REQUESTED:
        return None
    person = await candidates.get(uow.session, check.candidate_id)
    return {"check_id": str(check.id), "first_name": person.first_name, "last_name": person.last_name,
            "email": person.emails[0], "package": check.package}


async def record_invited(*, uow: UnitOfWork, check_id: uuid.UUID, invitation: Invitation) -> None:
    """The provider invited the candidate."""
    check = await get(uow=uow, check_id=check_id, for_update=True)
    if check.status == CheckStatus.REQUESTED:
        check.invited(provider_candidate_id=invitation.candidate_id, invitation_id=invitation.invitation_id,
                      invitation_url=invitation.url, actor=PROVIDER_ACTOR)


async def apply_webhook(*, uow: UnitOfWork, update: ProviderUpdate) -> str:
    """Apply one verified provider event once: `applied`, `duplicate` (its id was seen: a replay changes nothing)
    or `stale` (no move forward, e.g. a late `report.created` after completion); 404 for an unknown candidate."""
    check = await repository.by_provider_candidate(uow.session, update.candidate_id)
    if check is None:
        raise NotFound("No background check for this provider candidate.", candidate_id=update.candidate_id)
    if not await repository.first_seen(uow.session, update.event_id):
        return "duplicate"
    moved = check.provider_moved(update.status, result=update.result, report_id=update.report_id, actor=PROVIDER_ACTOR)
    return "applied" if moved else "stale"


async def engage(*, uow: UnitOfWork, check_id: uuid.UUID, reason: str | None, ctx: RequestContext) -> BackgroundCheck:
    """Go on with the candidate despite the `consider` result."""
    check = await get(uow=uow, check_id=check_id, for_update=True)
    check.engage(reason, ctx.actor)
    return check


async def pre_adverse(*, uow: UnitOfWork, check_id: uuid.UUID, reason: str, now: datetime, wait: timedelta,
                      ctx: RequestContext) -> BackgroundCheck:
    """Send the candidate the pre-adverse notice; the adverse action may follow after the waiting period."""
    check = await get(uow=uow, check_id=check_id, for_update=True)
    check.pre_adverse(reason, now, wait, ctx.actor)
    await _notify(uow, check, "pre-adverse", "About your background check", (
        "We are considering a decision based in part on your background check report (reference "
        f"{check.provider_report_id or check.id}).\n\nReason: {reason}\n\nYou may dispute the report's accuracy with the "
        f"provider, or tell us about it, before {check.waiting_until:%d %B %Y %H:%M} UTC; we will not decide before then.\n"))
    return check


async def adverse(*, uow: UnitOfWork, check_id: uuid.UUID, reason: str, now: datetime,
                  ctx: RequestContext) -> BackgroundCheck:
    """The final adverse action, once the waiting period has passed (the hire stays held)."""
    check = await get(uow=uow, check_id=check_id, for_update=True)
    check.adverse(reason, now, ctx.actor)
    await _notify(uow, check, "adverse", "Our decision about your application", (
        "After the waiting period we have decided not to go on with your application, based in part on your "
        f"background check report (reference {check.provider_report_id or check.id}).\n\nReason: {reason}\n\n"
        "You may still dispute the report's accuracy with the provider.\n"))
    return check


async def _notify(uow: UnitOfWork, check: BackgroundCheck, kind: str, subject: str, text: str) -> None:
    person = await candidates.get(uow.session, check.candidate_id)
    if person.emails:
        await queue(uow, Mail(to=person.emails[0], subject=subject, text=f"Hello {person.first_name},\n\n{text}"),
                    dedupe_key=f"bgc:{check.id}:{kind}", candidate_id=person.id)
