"""Every ATS table, imported so that Alembic and the model/migration check see them all."""
from ats.applications.models import Application, RejectReason, StageHistory
from ats.audit.models import AuditEvent, AuditPending, AuditPersonalValues
from ats.background_checks.models import BackgroundCheck, ProviderEvent
from ats.candidates.models import Candidate
from ats.careers.models import CareerApplication, JobPosting
from ats.db import Base, platform
from ats.eeo.models import EeoResponse
from ats.holds.models import LegalHold
from ats.interviewers.models import BusyBlock, Interviewer
from ats.interviews.models import Interview, InterviewerSlot
from ats.jobs.models import Job, JobStage
from ats.notes.models import Note
from ats.offers.models import Offer
from ats.resumes.models import Resume
from ats.retention.models import RetentionPolicy, RetentionRun
from ats.scheduling.models import SchedulingInvite
from ats.scorecards.models import Scorecard
from ats.search.models import CandidateSearch, SearchProfile
from ats.tasks.models import Task

__all__ = [
           "Application",
           "AuditEvent",
           "AuditPending",
           "AuditPersonalValues",
           "BackgroundCheck",
           "Base",
           "BusyBlock",
           "Candidate",
           "CandidateSearch",
           "CareerApplication",
           "EeoResponse",
           "Interview",
           "Interviewer",
           "InterviewerSlot",
           "Job",
           "JobPosting",
           "JobStage",
           "LegalHold",
           "Note",
           "Offer",
           "ProviderEvent",
           "RejectReason",
           "Resume",
           "RetentionPolicy",
           "RetentionRun",
           "SchedulingInvite",
           "Scorecard",
           "SearchProfile",
           "StageHistory",
           "Task",
           "platform",
]
