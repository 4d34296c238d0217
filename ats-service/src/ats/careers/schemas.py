"""Posting bodies: where the job is, what it pays, until when it is open, and its screening questions."""
from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from ats.offers.schemas import Currency

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Country = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$"),
                    Field(description="ISO 3166-1 alpha-2, e.g. `DE`.")]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Choice = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class QuestionKind(StrEnum):
    TEXT = "text"
    YES_NO = "yes_no"
    SINGLE_CHOICE = "single_choice"


class SalaryUnit(StrEnum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"


class Question(BaseModel):
    """A screening question on the apply form. A knock-out answer rejects the application automatically (with
    the reject reason `Knock-out question` naming the question); the candidate sees the usual confirmation."""

    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")] = Field(description="Stable key of the answer, e.g. `work_permit`.")
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    kind: QuestionKind
    required: bool = False
    choices: list[Choice] = Field([], max_length=20, description="For `single_choice`: the options, in order.")
    knockout_answers: list[Choice] = Field([], description="Answers that reject: `yes`/`no` for yes_no, choices for single_choice.")

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.kind == QuestionKind.SINGLE_CHOICE and len(self.choices) < 2:
            raise ValueError("a single_choice question needs at least two `choices`")
        if self.kind != QuestionKind.SINGLE_CHOICE and self.choices:
            raise ValueError("only single_choice questions have `choices`")
        allowed = {"yes", "no"} if self.kind == QuestionKind.YES_NO else set(self.choices)
        if self.kind == QuestionKind.TEXT and self.knockout_answers:
            raise ValueError("free-text answers cannot knock out")
        if not set(self.knockout_answers) <= allowed:
            raise ValueError(f"`knockout_answers` must be among {sorted(allowed)}")
        return self


def _unique_ids(questions: list[Question]) -> list[Question]:
    if len({q.id for q in questions}) != len(questions):
        raise ValueError("question ids must be unique")
    return questions


class PostingPut(BaseModel):
    """The job's careers-site details. An on-site job gives an address; a remote one `remote: true` and the
    countries applicants may live in."""

    model_config = ConfigDict(extra="forbid")
    street_address: Line | None = None
    locality: Line | None = Field(None, description="City.")
    region: Line | None = None
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)] | None = None
    country: Country | None = None
    remote: bool = False
    applicant_countries: list[Country] = Field([], max_length=50, description="For remote jobs: where applicants may live.")
    salary_min: Money | None = None
    salary_max: Money | None = None
    salary_currency: Currency | None = None
    salary_unit: SalaryUnit | None = Field(None, description="What the salary figures are per; default YEAR.")
    valid_through: AwareDatetime | None = Field(None, description="When the posting closes (shown to job search engines).")
    questions: Annotated[list[Question], Field(max_length=30), AfterValidator(_unique_ids)] = []

    @model_validator(mode="after")
    def _consistent(self) -> PostingPut:
        if self.remote and not self.applicant_countries:
            raise ValueError("a remote job names `applicant_countries`")
        if (self.salary_min is not None or self.salary_max is not None) and not self.salary_currency:
            raise ValueError("a salary needs `salary_currency`")
        if self.salary_min is not None and self.salary_max is not None and self.salary_max < self.salary_min:
            raise ValueError("`salary_max` must not be below `salary_min`")
        return self


class PostingRead(PostingPut):
    model_config = ConfigDict(from_attributes=True, extra="ignore")
    job_id: uuid.UUID
    salary_min: Decimal | None = None
    salary_max: Decimal | None = None
    valid_through: datetime | None = None
    version: int
    updated_at: datetime
    updated_by: str
