"""When a candidate's data is due to go, as a pure function of their applications and the policies."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ats.retention.models import FEDERAL_CONTRACTOR_MINIMUM_DAYS, HireRule, RetentionPolicy


@dataclass(frozen=True)
class JobPlace:
    location: str | None
    jurisdiction: str | None
    closed_at: datetime | None


@dataclass(frozen=True)
class ApplicationFacts:
    status: str  # active | rejected | withdrawn | hired
    rejected_at: datetime | None
    hired_at: datetime | None
    job: JobPlace
    hris_status: str | None = None  # pending | sent | failed; None: the hire was never handed off (no HRIS)
    hris_synced_at: datetime | None = None  # when the HRIS took the employee


@dataclass(frozen=True)
class Due:
    candidate_id: uuid.UUID
    action: str  # anonymise | minimise
    due_at: datetime
    policy_id: uuid.UUID


def policy_for(job: JobPlace, policies: Sequence[RetentionPolicy]) -> RetentionPolicy | None:
    """The office's policy, else the jurisdiction's (subdivision, then country), else the default one."""
    by_office = {p.office.casefold(): p for p in policies if p.office}
    by_place = {p.jurisdiction.upper(): p for p in policies if p.jurisdiction}
    default = next((p for p in policies if not p.office and not p.jurisdiction), None)
    if job.location and job.location.casefold() in by_office:
        return by_office[job.location.casefold()]
    if job.jurisdiction:
        code = job.jurisdiction.upper()
        return by_place.get(code) or by_place.get(code.split("-")[0]) or default
    return default


def closed_at(app: ApplicationFacts) -> datetime | None:
    """When the application ended without a hire: rejected or withdrawn, or its job closed; None while open."""
    if app.status in ("rejected", "withdrawn"):
        return app.rejected_at
    if app.status == "active" and app.job.closed_at:
        return app.job.closed_at
    return None


def handed_off(app: ApplicationFacts) -> datetime | None:
    """When the hire reached the HRIS (the hire itself when no hand-off was ever tracked); None while pending or
    failed."""
    if app.hris_status is None:
        return app.hired_at
    return app.hris_synced_at if app.hris_status == "sent" else None


def minimal_from(policy: RetentionPolicy, app: ApplicationFacts) -> datetime:
    """When a hire may be reduced to a minimal record: `hire_minimal_after_days` after the HRIS hand-off, and for a
    federal contractor never before two years after the hire (41 CFR 60-1.12)."""
    handed, hired = handed_off(app), app.hired_at
    assert handed is not None and hired is not None  # asked only of hires handed off (`due` checks both first)
    at = handed + timedelta(days=policy.hire_minimal_after_days)
    if policy.federal_contractor:
        at = max(at, hired + timedelta(days=FEDERAL_CONTRACTOR_MINIMUM_DAYS))
    return at


def due(candidate_id: uuid.UUID, created_at: datetime, apps: Sequence[ApplicationFacts], minimised: bool,
        policies: Sequence[RetentionPolicy]) -> Due | None:
    """What retention does to the candidate and from when; None while anything keeps them (an open application,
    a hire kept as it is, no policy)."""
    hires = [a for a in apps if a.status == "hired"]
    if hires:
        if minimised:
            return None
        found = [(policy_for(a.job, policies), a) for a in hires]
        rules = [(p, a) for p, a in found if p is not None and p.hires == HireRule.MINIMAL_RECORD and a.hired_at]
        if not rules or len(rules) < len(found):
            return None
        if any(handed_off(a) is None for _, a in rules):
            return None  # a hand-off still pending or failed: its retry needs the employee's details
        policy, at = max(((p, minimal_from(p, a)) for p, a in rules), key=lambda pa: pa[1])
        return Due(candidate_id, "minimise", at, policy.id)
    if not apps:
        default = policy_for(JobPlace(None, None, None), policies)
        return Due(candidate_id, "anonymise", created_at + timedelta(days=default.effective_keep_days),
                   default.id) if default else None
    ends = []
    for app in apps:
        ended, kept_by = closed_at(app), policy_for(app.job, policies)
        if ended is None or kept_by is None:
            return None
        ends.append((ended + timedelta(days=kept_by.effective_keep_days), kept_by))
    at, policy = max(ends, key=lambda e: e[0])
    return Due(candidate_id, "anonymise", at, policy.id)
