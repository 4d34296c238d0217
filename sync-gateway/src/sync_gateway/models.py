"""Every gateway table, imported so that Alembic and the model/migration check see them all."""
from sync_gateway.conflicts.models import Conflict
from sync_gateway.db import Base, platform
from sync_gateway.links.models import Link
from sync_gateway.links.tombstones import Tombstone
from sync_gateway.operations.models import DeadLetter
from sync_gateway.policy.models import FieldPolicyOverride
from sync_gateway.profiles.models import AggregateCursor
from sync_gateway.resync.models import ResyncJob
from sync_gateway.subject_requests.models import DataSubjectRequest
from sync_gateway.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = [
    "AggregateCursor",
    "Base",
    "Conflict",
    "DataSubjectRequest",
    "DeadLetter",
    "FieldPolicyOverride",
    "Link",
    "ResyncJob",
    "Tombstone",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "platform",
]
