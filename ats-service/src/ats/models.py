"""Every ATS table, imported so that Alembic and the model/migration check see them all."""
from ats.applications.models import Application, RejectReason, StageHistory
from ats.audit.models import AuditEvent
from ats.candidates.models import Candidate
from ats.db import Base, platform
from ats.interviews.models import Interview, InterviewerSlot
from ats.jobs.models import Job, JobStage
from ats.notes.models import Note
from ats.offers.models import Offer
from ats.resumes.models import Resume
from ats.scorecards.models import Scorecard
from ats.search.models import CandidateSearch

__all__ = ["Application", "AuditEvent", "Base", "Candidate", "CandidateSearch", "Interview", "InterviewerSlot", "Job",
           "JobStage", "Note", "Offer", "RejectReason", "Resume", "Scorecard", "StageHistory", "platform"]
