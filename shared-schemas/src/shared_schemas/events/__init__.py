"""Event payload models (the `data` of each CloudEvent), by type name."""
from pydantic import BaseModel

from shared_schemas.events.ats import CandidateCreatedV1, CandidateUpdatedV1
from shared_schemas.events.crm import ProspectCreatedV1, ProspectUpdatedV1

REGISTRY: dict[str, type[BaseModel]] = {
    "ats.candidate.created.v1": CandidateCreatedV1,
    "ats.candidate.updated.v1": CandidateUpdatedV1,
    "crm.prospect.created.v1": ProspectCreatedV1,
    "crm.prospect.updated.v1": ProspectUpdatedV1,
}

__all__ = ["REGISTRY", "CandidateCreatedV1", "CandidateUpdatedV1", "ProspectCreatedV1", "ProspectUpdatedV1"]
