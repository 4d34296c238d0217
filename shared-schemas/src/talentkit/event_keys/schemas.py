"""What the event-key endpoints take and give."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from talentkit.sealing import MAX_KEYS_PER_LOOKUP


class EventKeyRead(BaseModel):
    subject_id: str
    key: str = Field(description="The person's AES-256-GCM key, base64. Keep it in memory only.")


class EventKeyLookup(BaseModel):
    subject_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=MAX_KEYS_PER_LOOKUP,
        description=f"The people (candidate or prospect ids, as in the sealed values) whose keys you need; at most "
                    f"{MAX_KEYS_PER_LOOKUP} per request.")


class EventKeyLookupResult(BaseModel):
    keys: list[EventKeyRead] = Field(description="The keys found, in no particular order.")
    missing: list[str] = Field(description="People without a key: erased (their events stay unreadable), or never "
                                           "had personal data in events.")
