"""Jobs and applications record their own events (contract payload, version as sequence, before/after changes)."""
import uuid
from datetime import UTC, date, datetime

from ats.applications.models import Application, RejectKind, RejectReason
from ats.jobs.models import Job, StageKind

from .events import application, only, pipeline, recorded


def new_job() -> Job:
    job = Job.create({"title": "Engineer", "openings": 2}, "t")
    return job


def test_creating_a_job_records_job_created_with_its_default_pipeline():
    job = new_job()
    event = only(job)
    assert (event.type, event.aggregate_id, event.sequence) == ("ats.job.created.v1", str(job.id), 1)
    assert event.data["job"]["stages"][0]["name"] == "Applied" and event.data["job"]["status"] == "draft"
    assert event.changes == {"title": {"before": None, "after": "Engineer"}, "openings": {"before": None, "after": 2}}


def test_opening_closing_and_reopening_record_their_events_with_the_status_change():
    job = new_job()
    recorded(job)
    assert job.open("t") is False
    opened = only(job)
    assert opened.type == "ats.job.opened.v1" and opened.data["reopened"] is False and opened.sequence == 2
    assert opened.changes == {"status": {"before": "draft", "after": "open"}}
    job.close("filled", "t")
    closed = only(job)
    assert closed.type == "ats.job.closed.v1" and closed.data["reason"] == "filled" and closed.sequence == 3
    assert closed.changes["close_reason"] == {"before": None, "after": "filled"}
    job.reopen("t")
    reopened = only(job)
    assert reopened.data["reopened"] is True and reopened.changes == {"status": {"before": "closed", "after": "open"}}


def test_a_field_change_records_job_updated_and_no_change_records_nothing():
    job = new_job()
    recorded(job)
    job.update({"title": "Engineer"}, "t")
    assert recorded(job) == []
    job.update({"title": "Staff engineer", "location": None}, "t")
    event = only(job)
    assert event.type == "ats.job.updated.v1" and event.data["changes"] == event.changes
    assert event.changes == {"title": {"before": "Engineer", "after": "Staff engineer"}}


def test_every_pipeline_edit_records_job_updated_with_what_changed():
    job = new_job()
    recorded(job)
    job.add_stage("Take-home", StageKind.INTERVIEW, None, "t")
    added = only(job)
    assert added.changes["stages"]["after"]["name"] == "Take-home" and added.changes["stages"]["before"] is None
    take_home = next(s for s in job.stages if s.name == "Take-home")
    job.rename_stage(take_home.id, "Homework", "t")
    assert only(job).changes == {f"stages.{take_home.id}.name": {"before": "Take-home", "after": "Homework"}}
    order = [s.id for s in job.stages]
    job.reorder_stages([order[0], order[2], order[1], *order[3:]], "t")
    assert only(job).changes["stages"]["after"][1] == str(order[2])
    job.remove_stage(take_home.id, "t")
    removed = only(job)
    assert removed.changes["stages"] == {"before": {"id": str(take_home.id), "name": "Homework"}, "after": None}
    assert removed.sequence == job.version == 5


def test_starting_an_application_records_application_created():
    stages = pipeline()
    app = Application.start(candidate_id=uuid.uuid4(), first_stage=stages[0], source="referral", referrer=None, actor="t")
    event = only(app)
    assert (event.type, event.sequence) == ("ats.application.created.v1", 1)
    assert event.data["application"]["stage"]["id"] == str(stages[0].id) and event.data["application"]["source"] == "referral"
    assert event.changes["stage_id"] == {"before": None, "after": str(stages[0].id)}


def test_moving_records_stage_changed_with_both_stages_and_one_version():
    stages = pipeline()
    app = application(stages)
    app.move(stages[0].id, stages[2], "t")
    event = only(app)
    assert event.type == "ats.application.stage_changed.v1" and event.sequence == app.version == 2
    assert (event.data["from_stage"]["kind"], event.data["to_stage"]["kind"]) == ("applied", "interview")
    assert event.data["application"]["stage"]["id"] == str(stages[2].id)
    assert event.changes == {"stage": {"before": "Applied", "after": "Interview"}}


def test_rejecting_and_unrejecting_record_their_events():
    app = application()
    reason = RejectReason(id=uuid.uuid4(), name="Took another offer", kind=RejectKind.THEY_WITHDREW)
    app.reject(reason, "moved abroad", "t")
    rejected = only(app)
    assert rejected.type == "ats.application.rejected.v1" and rejected.data["reason"]["kind"] == "they_withdrew"
    assert rejected.data["stage"]["kind"] == "applied" and rejected.data["notes"] == "moved abroad"
    assert rejected.changes["status"] == {"before": "active", "after": "withdrawn"}
    app.unreject("t")
    unrejected = only(app)
    assert unrejected.type == "ats.application.unrejected.v1" and unrejected.sequence == 3
    assert unrejected.changes == {"status": {"before": "withdrawn", "after": "active"}}


def test_hiring_records_application_hired_and_an_override_keeps_its_reason():
    stages = pipeline()
    app = application(stages)
    hired_stage = next(s for s in stages if s.kind == StageKind.HIRED)
    app.hire(hired_stage, start_date=date(2031, 5, 1), override=True, override_reason="exec hire", actor="t")
    event = only(app)
    assert event.type == "ats.application.hired.v1" and event.data["override"] is True
    assert event.data["start_date"] == "2031-05-01" and event.data["from_stage"]["kind"] == "applied"
    assert event.changes["hire_override"] == {"before": False, "after": True, "reason": "exec hire"}
    app.unhire(stages[0], "t")
    unhired = only(app)
    assert unhired.type == "ats.application.unhired.v1"
    assert unhired.changes == {"status": {"before": "hired", "after": "active"}, "stage": {"before": "Hired", "after": "Applied"},
                               "hris_status": {"before": "pending", "after": None}}  # the queued HRIS hand-off is called off


def test_an_accepted_offer_makes_an_application_hireable_without_an_event_of_its_own():
    stages = pipeline()
    app = application(stages)
    app.offer_accepted(datetime.now(UTC))
    assert recorded(app) == []
    app.hire(next(s for s in stages if s.kind == StageKind.HIRED), start_date=None, override=False, actor="t")
    assert only(app).data["override"] is False


def test_transferring_records_both_jobs_and_stages():
    app, other = application(), pipeline()
    old_job = app.job_id
    app.transfer(other[0], "t")
    event = only(app)
    assert event.type == "ats.application.transferred.v1"
    assert (event.data["from_job_id"], event.data["to_job_id"]) == (str(old_job), str(other[0].job_id))
    assert event.changes["job_id"] == {"before": str(old_job), "after": str(other[0].job_id)}


def test_a_merge_moves_the_application_with_an_internal_event():
    app = application()
    before, survivor = app.candidate_id, uuid.uuid4()
    app.merged_candidate(survivor, "t")
    event = only(app)
    assert event.internal and event.type == "ats.application.candidate_merged.internal"
    assert event.changes == {"candidate_id": {"before": str(before), "after": str(survivor)}}


def test_defining_a_reject_reason_records_an_internal_event():
    reason = RejectReason.define("Not a fit", RejectKind.WE_REJECTED)
    event = only(reason)
    assert event.internal and event.type == "ats.reject_reason.created.internal"
    assert event.changes == {"name": {"before": None, "after": "Not a fit"}, "kind": {"before": None, "after": "we_rejected"}}
