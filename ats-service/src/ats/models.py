"""Every ATS table, imported so that Alembic and the model/migration check see them all."""
from ats.applications.models import Application, RejectReason, StageHistory
from ats.audit.models import AuditEvent
from ats.candidates.models import Candidate
from ats.db import Base, platform
from ats.jobs.models import Job, JobStage

__all__ = ["Application", "AuditEvent", "Base", "Candidate", "Job", "JobStage", "RejectReason", "StageHistory", "platform"]
