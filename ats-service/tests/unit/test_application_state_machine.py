"""The Application aggregate's rules, every allowed and forbidden transition, without a database."""
import uuid
from datetime import UTC, datetime
from itertools import product

import pytest
from ats.applications.models import (
    Application,
    ApplicationStatus,
    RejectKind,
    RejectReason,
)
from ats.jobs.models import DEFAULT_STAGES, JobStage, StageKind
from talentkit.errors import Conflict, Unprocessable


def pipeline(job_id: uuid.UUID | None = None) -> list[JobStage]:
    job_id = job_id or uuid.uuid4()
    return [JobStage(id=uuid.uuid4(), job_id=job_id, name=n, kind=k, position=i) for i, (n, k) in enumerate(DEFAULT_STAGES)]


def stage(stages: list[JobStage], kind: StageKind) -> JobStage:
    return next(s for s in stages if s.kind == kind)


def new_app(stages: list[JobStage]) -> Application:
    return Application.start(candidate_id=uuid.uuid4(), first_stage=stages[0], source=None, referrer=None, actor="t")


WE = RejectReason(id=uuid.uuid4(), name="Not a fit", kind=RejectKind.WE_REJECTED)
THEY = RejectReason(id=uuid.uuid4(), name="Took another offer", kind=RejectKind.THEY_WITHDREW)


def in_status(status: ApplicationStatus, stages: list[JobStage]) -> Application:
    app = new_app(stages)
    if status == ApplicationStatus.REJECTED:
        app.reject(WE, None, "t")
    elif status == ApplicationStatus.WITHDRAWN:
        app.reject(THEY, None, "t")
    elif status == ApplicationStatus.HIRED:
        app.hire(stage(stages, StageKind.HIRED), start_date=None, override=True, actor="t")
    return app


def test_a_new_application_starts_in_the_first_stage_with_history():
    stages = pipeline()
    app = new_app(stages)
    assert app.stage_id == stages[0].id and app.status == ApplicationStatus.ACTIVE
    assert [(h.action, h.to_stage_id, h.exited_at) for h in app.history] == [("applied", stages[0].id, None)]


@pytest.mark.parametrize("i,j", [(i, j) for i, j in product(range(5), range(5)) if i != j])
def test_moving_forward_and_back_between_any_non_hired_stages(i, j):
    stages = pipeline()
    app = new_app(stages)
    if i:
        app.move(stages[0].id, stages[i], "t")
    left = app.move(stages[i].id, stages[j], "t")
    assert left.id == stages[i].id and app.stage_id == stages[j].id
    assert app.history[-1].from_stage_id == stages[i].id and app.history[-2].exited_at is not None


def test_moving_from_a_stage_it_is_no_longer_in_is_a_conflict():
    stages = pipeline()
    app = new_app(stages)
    app.move(stages[0].id, stages[2], "t")
    with pytest.raises(Conflict):
        app.move(stages[0].id, stages[3], "t")


def test_moving_into_the_hired_stage_is_refused():
    stages = pipeline()
    with pytest.raises(Conflict, match="hire"):
        new_app(stages).move(stages[0].id, stage(stages, StageKind.HIRED), "t")


def test_moving_into_another_jobs_stage_is_refused():
    stages, other = pipeline(), pipeline()
    with pytest.raises(Unprocessable):
        new_app(stages).move(stages[0].id, other[1], "t")


def test_moving_to_the_same_stage_is_a_conflict():
    stages = pipeline()
    with pytest.raises(Conflict):
        new_app(stages).move(stages[0].id, stages[0], "t")


@pytest.mark.parametrize("status", [ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN, ApplicationStatus.HIRED])
@pytest.mark.parametrize("action", ["move", "reject", "hire", "transfer"])
def test_only_active_applications_move_reject_hire_or_transfer(status, action):
    stages = pipeline()
    app = in_status(status, stages)
    calls = {
        "move": lambda: app.move(app.stage_id, stages[1] if app.stage_id != stages[1].id else stages[2], "t"),
        "reject": lambda: app.reject(WE, None, "t"),
        "hire": lambda: app.hire(stage(stages, StageKind.HIRED), start_date=None, override=True, actor="t"),
        "transfer": lambda: app.transfer(pipeline()[0], "t"),
    }
    with pytest.raises(Conflict):
        calls[action]()


def test_rejecting_with_a_they_withdrew_reason_marks_withdrawn():
    stages = pipeline()
    assert in_status(ApplicationStatus.WITHDRAWN, stages).status == ApplicationStatus.WITHDRAWN
    assert in_status(ApplicationStatus.REJECTED, stages).status == ApplicationStatus.REJECTED


@pytest.mark.parametrize("status", [ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN])
def test_unreject_makes_active_again_in_the_same_stage(status):
    stages = pipeline()
    app = in_status(status, stages)
    app.unreject("t")
    assert app.status == ApplicationStatus.ACTIVE and app.reject_reason_id is None and app.stage_id == stages[0].id


@pytest.mark.parametrize("status", [ApplicationStatus.ACTIVE, ApplicationStatus.HIRED])
def test_unreject_needs_a_rejected_or_withdrawn_application(status):
    with pytest.raises(Conflict):
        in_status(status, pipeline()).unreject("t")


def test_hire_is_allowed_from_an_offer_stage():
    stages = pipeline()
    app = new_app(stages)
    app.move(stages[0].id, stage(stages, StageKind.OFFER), "t")
    left = app.hire(stage(stages, StageKind.HIRED), start_date=None, override=False, actor="t")
    assert left.kind == StageKind.OFFER and app.status == ApplicationStatus.HIRED and not app.hire_override


def test_hire_is_allowed_after_an_accepted_offer_from_any_stage():
    stages = pipeline()
    app = new_app(stages)
    app.offer_accepted(datetime.now(UTC))
    app.hire(stage(stages, StageKind.HIRED), start_date=None, override=False, actor="t")
    assert app.status == ApplicationStatus.HIRED


def test_hire_elsewhere_needs_the_override_which_is_recorded():
    stages = pipeline()
    app = new_app(stages)
    with pytest.raises(Conflict, match="override"):
        app.hire(stage(stages, StageKind.HIRED), start_date=None, override=False, actor="t")
    app.hire(stage(stages, StageKind.HIRED), start_date=None, override=True, actor="t")
    assert app.hire_override


def test_hire_needs_a_hired_stage_in_the_job():
    stages = pipeline()
    with pytest.raises(Conflict, match="hired"):
        new_app(stages).hire(None, start_date=None, override=True, actor="t")


def test_unhire_goes_back_to_the_stage_it_was_hired_from():
    stages = pipeline()
    app = new_app(stages)
    offer = stage(stages, StageKind.OFFER)
    app.move(stages[0].id, offer, "t")
    app.hire(stage(stages, StageKind.HIRED), start_date=None, override=False, actor="t")
    assert app.stage_before_hire() == offer.id
    app.unhire(offer, "t")
    assert app.status == ApplicationStatus.ACTIVE and app.stage_id == offer.id and app.hired_at is None


@pytest.mark.parametrize("status", [ApplicationStatus.ACTIVE, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN])
def test_unhire_needs_a_hired_application(status):
    with pytest.raises(Conflict):
        in_status(status, pipeline()).unhire(pipeline()[0], "t")


def test_transfer_enters_the_other_jobs_first_stage():
    stages, other = pipeline(), pipeline()
    app = new_app(stages)
    app.move(stages[0].id, stages[2], "t")
    old_job, left = app.transfer(other[0], "t")
    assert old_job == stages[0].job_id and left.id == stages[2].id
    assert app.job_id == other[0].job_id and app.stage_id == other[0].id and app.history[-1].action == "transferred"


def test_transfer_to_the_same_job_is_a_conflict():
    stages = pipeline()
    with pytest.raises(Conflict):
        new_app(stages).transfer(stages[0], "t")
