"""Every CRM table, imported so that Alembic and the model/migration check see them all."""
from crm.activities.models import Activity
from crm.alerts.models import Alert
from crm.consent.models import Consent, ConsentRequest, Suppression
from crm.db import Base, platform
from crm.engagement.models import EngagementScore
from crm.imports.models import ImportRowError, ProspectImport
from crm.enrollments.models import Enrollment
from crm.pools.models import Pool, PoolMember, PoolStage
from crm.prospects.models import Prospect
from crm.pushes.models import Push
from crm.sending.models import Message
from crm.sequences.models import Sequence, SequenceVersion
from crm.tracking.models import MessageEngagement

__all__ = ["Activity", "Alert", "Base", "Consent", "ConsentRequest", "EngagementScore", "Enrollment", "ImportRowError", "Message", "MessageEngagement", "Pool", "PoolMember", "PoolStage", "Prospect", "ProspectImport", "Push", "Sequence", "SequenceVersion", "Suppression", "platform"]
