"""Resume excerpt bodies."""
import uuid

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

MAX_CHARS = 4000


class ResumeExcerptIn(BaseModel):
    """The excerpt as it should stand (from the gateway's resume flow)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_CHARS, description="The start of the resume's blind text (no name, contact "
                                                        "points or protected traits).")
    resume_id: uuid.UUID = Field(description="The ATS resume it was taken from.")
    read_at: AwareDatetime = Field(description="When the ATS read that resume: an older one never replaces a newer.")


class ResumeExcerptRead(ResumeExcerptIn):
    model_config = ConfigDict(from_attributes=True)

    prospect_id: uuid.UUID
