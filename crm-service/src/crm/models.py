"""Every CRM table, imported so that Alembic and the model/migration check see them all."""
from crm.activities.models import Activity
from crm.alerts.models import Alert
from crm.bulk_pushes.models import BulkPush, BulkPushItem
from crm.consent.models import Consent, ConsentRequest, Suppression
from crm.db import Base, platform
from crm.embeddings.models import EmbeddingRequest, ProspectEmbedding
from crm.engagement.models import EngagementScore
from crm.enrollments.models import Enrollment
from crm.imports.models import ImportRowError, ProspectImport
from crm.openness.models import OpennessAlert
from crm.pools.models import Pool, PoolMember, PoolStage
from crm.prospects.models import Prospect
from crm.pushes.models import Push
from crm.resume_text.models import ResumeExcerpt
from crm.saved_searches.models import SavedSearch, SavedSearchMatch
from crm.search.models import ProspectSearch
from crm.sending.models import Message
from crm.sequences.models import Sequence, SequenceVersion
from crm.tracking.models import MessageEngagement
from crm.work_history.models import Position

__all__ = ["Activity", "Alert", "Base", "BulkPush", "BulkPushItem", "Consent", "ConsentRequest", "EmbeddingRequest", "EngagementScore", "Enrollment", "ImportRowError", "Message", "MessageEngagement", "OpennessAlert", "Pool", "PoolMember", "PoolStage", "Position", "Prospect", "ProspectEmbedding", "ProspectImport", "ProspectSearch", "Push", "ResumeExcerpt", "SavedSearch", "SavedSearchMatch", "Sequence", "SequenceVersion", "Suppression", "platform"]
