"""CRM events (topic `crm.prospects`)."""
from uuid import UUID

from pydantic import BaseModel

from shared_schemas.events.common import FieldChange, PersonSnapshot


class ProspectSnapshot(PersonSnapshot):
    """A CRM prospect as it stands after the change."""


class ProspectCreatedV1(BaseModel):
    """`crm.prospect.created.v1`: a prospect was created in the CRM."""

    prospect: ProspectSnapshot


class ProspectUpdatedV1(BaseModel):
    """`crm.prospect.updated.v1`: profile fields changed; `changes` holds before and after of each."""

    prospect_id: UUID
    changes: dict[str, FieldChange]
    prospect: ProspectSnapshot
