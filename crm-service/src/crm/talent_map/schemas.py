"""Talent map bodies."""
from enum import StrEnum

from pydantic import BaseModel, Field


class Dimension(StrEnum):
    COMPANY = "company"
    TITLE = "title"
    SKILL = "skill"
    LOCATION = "location"
    SENIORITY = "seniority"


class Bucket(BaseModel):
    value: str | None = Field(description="The company, title, skill, location (its first part: `berlin` of "
                                          "`Berlin, Germany`) or seniority, lower-cased; null: not known.")
    count: int = Field(description="Prospects in the bucket (each once, even with several matching skills).")
    search: str | None = Field(description="The search listing them: a `GET /v1/search/prospects` URL.")


class TalentMap(BaseModel):
    by: Dimension
    q: str | None
    total: int = Field(description="Prospects the query and pool select.")
    buckets: list[Bucket]
