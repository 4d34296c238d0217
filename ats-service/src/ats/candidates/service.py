"""Candidate use cases: the shared profile rules bound to the ATS's topic and event types."""
from ats.audit import service as audit
from ats.candidates.models import Candidate
from ats.db import platform
from shared_schemas.events.ats import CandidateCreatedV1, CandidateUpdatedV1
from shared_schemas.topics import ATS_CANDIDATES
from talentkit.profiles.service import ProfileEvents, ProfileService

from ats.events import SOURCE

candidates = ProfileService(Candidate, platform, ProfileEvents(
    source=SOURCE, topic=ATS_CANDIDATES, aggregate="candidate",
    created_type="ats.candidate.created.v1", updated_type="ats.candidate.updated.v1",
    created_model=CandidateCreatedV1, updated_model=CandidateUpdatedV1,
), on_change=audit.record_change)
