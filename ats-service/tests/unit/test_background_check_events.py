"""The BackgroundCheck aggregate: provider moves only forward, `consider` holds the hire until a decision, the
adverse action only after the waiting period; each change records its event."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from ats.background_checks.models import Adjudication, BackgroundCheck, CheckStatus
from talentkit.errors import Conflict

from .events import only, recorded

NOW = datetime(2031, 1, 1, tzinfo=UTC)


def check() -> BackgroundCheck:
    c = BackgroundCheck.order(application_id=uuid.uuid4(), candidate_id=uuid.uuid4(), package="basic",
                              consent_given_at=NOW, consent_text_version="v1", actor="t")
    event = only(c)
    assert event.type == "ats.background_check.requested.v1" and event.data["check"]["status"] == "requested"
    return c


def test_the_provider_moves_a_check_forward_only_and_each_move_records_its_status():
    c = check()
    c.invited(provider_candidate_id="cand_1", invitation_id="inv_1", invitation_url=None, actor="p")
    assert only(c).data["previous_status"] == "requested"
    assert c.provider_moved(CheckStatus.COMPLETED, result="clear", report_id="rep_1", actor="p")
    event = only(c)
    assert event.changes == {"status": {"before": "invited", "after": "completed"}, "result": {"before": None, "after": "clear"}}
    assert not c.provider_moved(CheckStatus.PENDING, result=None, report_id=None, actor="p")
    assert recorded(c) == [] and not c.holds_hire()


def test_consider_holds_the_hire_until_engaged_or_through_the_adverse_action_process():
    c = check()
    c.provider_moved(CheckStatus.COMPLETED, result="consider", report_id="rep_1", actor="p")
    recorded(c)
    assert c.holds_hire()
    with pytest.raises(Conflict):
        c.adverse("x", NOW, "t")
    c.pre_adverse("reason", NOW, timedelta(days=5), "t")
    assert datetime.fromisoformat(only(c).data["waiting_until"]) == NOW + timedelta(days=5)
    with pytest.raises(Conflict):
        c.adverse("x", NOW + timedelta(days=4), "t")
    c.adverse("x", NOW + timedelta(days=5), "t")
    assert only(c).data["decision"] == "adverse_action" and c.holds_hire()
    with pytest.raises(Conflict):
        c.engage(None, "t")
    other = check()
    other.provider_moved(CheckStatus.COMPLETED, result="consider", report_id=None, actor="p")
    other.engage("fine", "t")
    assert other.adjudication == Adjudication.ENGAGED and not other.holds_hire()
