"""Every ATS table, imported so that Alembic and the model/migration check see them all."""
from ats.applications.models import Application, RejectReason, StageHistory
from ats.audit.models import AuditEvent, AuditPersonalValues
from ats.candidates.models import Candidate
from ats.db import Base, platform
from ats.eeo.models import EeoResponse
from ats.holds.models import LegalHold
from ats.interviews.models import Interview, InterviewerSlot
from ats.jobs.models import Job, JobStage
from ats.notes.models import Note
from ats.offers.models import Offer
from ats.retention.models import RetentionPolicy, RetentionRun
from ats.scorecards.models import Scorecard

__all__ = ["Application", "AuditEvent", "AuditPersonalValues", "Base", "Candidate", "EeoResponse", "Interview",
           "InterviewerSlot", "Job", "JobStage", "LegalHold", "Note", "Offer", "RejectReason", "RetentionPolicy",
           "RetentionRun", "Scorecard", "StageHistory", "platform"]
