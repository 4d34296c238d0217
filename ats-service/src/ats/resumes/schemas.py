"""Resume bodies: what was read from a file, each field with its confidence."""
import uuid
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Parsed(BaseModel, Generic[T]):
    value: T
    confidence: float = Field(description="0-1: how likely the value is right (0: nothing found).")


class Position(BaseModel):
    title: str | None
    company: str | None
    start: str = Field(description="`YYYY-MM` (the month is 01 when the resume gives only a year).")
    end: str | None = Field(description="`YYYY-MM`, or null for the current position.")
    current: bool


class ResumeFields(BaseModel):
    emails: Parsed[list[str]]
    phones: Parsed[list[str]] = Field(description="E.164, e.g. `+14155550100`.")
    links: Parsed[list[str]]
    skills: Parsed[list[str]] = Field(description="Canonical names from the skills vocabulary (`k8s` -> `Kubernetes`).")
    work_history: Parsed[list[Position]] = Field(description="Most recent first.")
    current_title: Parsed[str | None]
    years_of_experience: Parsed[float | None] = Field(description="Years the positions cover (overlaps once), "
                                                                   "or the years the resume states.")


class ResumeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    candidate_id: uuid.UUID
    filename: str | None
    content_type: str = Field(description="What the content is (decided from its bytes): `application/pdf`, "
                                          "the DOCX type or `text/plain`.")
    size_bytes: int
    sha256: str = Field(description="Of the file: the same file uploaded twice is one resume.")
    pages: int
    fields: ResumeFields
    version: int
    created_at: datetime
    created_by: str


class ResumeDetail(ResumeRead):
    text: str = Field(description="The text read from the file.")
    blind_text: str = Field(description="The text without who the person is (the name line, contact points, links, "
                                        "lines on protected traits): what matching and the CRM's embeddings see.")
