"""Bodies of the public links API."""
import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class PublicLinks(BaseModel):
    prospect_id: uuid.UUID
    unsubscribe_url: str
    consent_url: str
    expires_at: datetime = Field(description="The links stop working then (90 days); ask for new ones after that.")
