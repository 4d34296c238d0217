"""Every ATS table, imported so that Alembic and the model/migration check see them all."""
from ats.applications.models import Application, RejectReason, StageHistory
from ats.audit.models import AuditEvent
from ats.background_checks.models import BackgroundCheck, ProviderEvent
from ats.candidates.models import Candidate
from ats.careers.models import CareerApplication, JobPosting
from ats.db import Base, platform
from ats.interviewers.models import BusyBlock, Interviewer
from ats.interviews.models import Interview, InterviewerSlot
from ats.jobs.models import Job, JobStage
from ats.notes.models import Note
from ats.offers.models import Offer
from ats.resumes.models import Resume
from ats.scheduling.models import SchedulingInvite
from ats.scorecards.models import Scorecard
from ats.search.models import CandidateSearch
from ats.tasks.models import Task

__all__ = ["Application", "AuditEvent", "BackgroundCheck", "Base", "BusyBlock", "Candidate", "CandidateSearch", "CareerApplication", "Interview", "Interviewer", "InterviewerSlot",
           "Job", "JobPosting", "JobStage", "Note", "Offer", "ProviderEvent", "RejectReason", "Resume", "SchedulingInvite", "Scorecard", "StageHistory", "Task",
           "platform"]
