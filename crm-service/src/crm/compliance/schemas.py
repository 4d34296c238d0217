"""Art. 14 bodies."""
import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class Art14Notice(BaseModel):
    prospect_id: uuid.UUID
    source: str | None = Field(description="Where the data came from (anything but the person's own sign-up).")
    collected_at: datetime = Field(description="When the CRM got the data (the prospect's creation).")
    due_at: datetime = Field(description="Collection plus one month, or the first contact if sooner.")
    sent_at: datetime | None = Field(description="When the notice went out (with the first contact, or on its own).")
    status: str = Field(description="`due`, `overdue` or `sent`.")
