"""Prospect use cases: the shared profile rules bound to the CRM's topic and event types."""
from shared_schemas.events.crm import ProspectCreatedV1, ProspectUpdatedV1
from shared_schemas.topics import CRM_PROSPECTS
from talentkit.profiles.service import ProfileEvents, ProfileService

from crm.db import platform
from crm.events import SOURCE
from crm.prospects.models import Prospect

prospects = ProfileService(Prospect, platform, ProfileEvents(
    source=SOURCE, topic=CRM_PROSPECTS, aggregate="prospect",
    created_type="crm.prospect.created.v1", updated_type="crm.prospect.updated.v1",
    created_model=ProspectCreatedV1, updated_model=ProspectUpdatedV1,
))
