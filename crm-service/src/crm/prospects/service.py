"""Prospect use cases: the shared profile rules bound to the CRM's topic and event types."""
from talentkit.profiles.service import ProfileEvents, ProfileService

from crm.prospects.models import Prospect

prospects = ProfileService(Prospect, ProfileEvents(
    aggregate="prospect", created_type="crm.prospect.created.v1", updated_type="crm.prospect.updated.v1"))
