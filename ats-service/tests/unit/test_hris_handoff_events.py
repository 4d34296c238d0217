"""The Application's HRIS hand-off rules and the events they record, without a database."""
from datetime import UTC, datetime

import pytest
from ats.applications.models import HrisStatus
from ats.jobs.models import StageKind
from talentkit.errors import Conflict

from .events import application, only, pipeline, recorded


def hired_application():
    stages = pipeline()
    app = application(stages)
    app.hire(next(s for s in stages if s.kind == StageKind.HIRED), start_date=None, override=True,
             override_reason="test", actor="t")
    return app, stages


def test_a_hire_makes_the_hand_off_pending_and_says_so_in_its_changes():
    app, _ = hired_application()
    event = only(app)
    assert event.type == "ats.application.hired.v1" and app.hris_status == HrisStatus.PENDING
    assert event.changes["hris_status"] == {"before": None, "after": "pending"}


def test_the_hand_off_records_hris_synced_once_and_never_after_an_unhire():
    app, stages = hired_application()
    recorded(app)
    app.handed_off("emp-7", datetime(2031, 1, 1, tzinfo=UTC), "hris-handoff")
    event = only(app)
    assert event.type == "ats.application.hris_synced.v1" and event.data["hris_employee_id"] == "emp-7"
    assert event.changes["hris_status"] == {"before": "pending", "after": "sent"}
    app.handed_off("emp-8", datetime(2031, 1, 2, tzinfo=UTC), "hris-handoff")
    assert recorded(app) == [] and app.hris_employee_id == "emp-7"
    app.unhire(stages[0], "t")
    unhired, alert = recorded(app)
    assert (unhired.type, alert.type) == ("ats.application.unhired.v1", "ats.application.unhired_after_handoff.v1")
    assert alert.data["hris_employee_id"] == "emp-7"


def test_a_failed_hand_off_can_be_retried_and_only_then():
    app, stages = hired_application()
    recorded(app)
    with pytest.raises(Conflict):
        app.retry_handoff("t")
    app.handoff_failed("HRIS answered 503", "hris-handoff")
    assert only(app).changes["hris_error"] == {"before": None, "after": "HRIS answered 503"}
    app.retry_handoff("t")
    assert app.hris_status == HrisStatus.PENDING and only(app).type == "ats.application.hris_retried.internal"
    app.unhire(stages[0], "t")
    [unhired] = recorded(app)  # called off before it was sent: no alert
    assert unhired.changes["hris_status"] == {"before": "pending", "after": None}
