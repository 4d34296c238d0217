"""Offer bodies."""
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ats.offers.models import OfferStatus


def _iso4217(code: str) -> str:
    if not (code.isascii() and code.isalpha()):
        raise ValueError("an ISO 4217 code is three letters, e.g. `EUR`")
    return code.upper()


Salary = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2, description="Yearly base, e.g. `85000.00` (a decimal string in responses)."),
                   AfterValidator(lambda d: d.quantize(Decimal("0.01")))]
Currency = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=3), AfterValidator(_iso4217),
                     Field(description="ISO 4217 code, e.g. `EUR`, `USD` (required with `salary`).")]
Terms = Annotated[str, StringConstraints(max_length=20000)]
Person = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class OfferCreate(BaseModel):
    """A new draft offer. It gets the application's next `offer_version` and rescinds any earlier offer of the
    application that is still in play."""

    model_config = ConfigDict(extra="forbid")
    application_id: uuid.UUID = Field(description="An active application.")
    start_date: date | None = None
    salary: Salary | None = None
    currency: Currency | None = None
    terms: Terms | None = Field(None, description="Free text: bonus, equity, benefits, conditions.")
    approver: Person | None = Field(None, description="Who is asked to approve (user id or email).")


class OfferUpdate(BaseModel):
    """Fields of a draft offer to change; absent fields stay."""

    model_config = ConfigDict(extra="forbid")
    start_date: date | None = None
    salary: Salary | None = None
    currency: Currency | None = None
    terms: Terms | None = None
    approver: Person | None = None


class OfferDecline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason = Field(description="The candidate's reason, e.g. `accepted another offer`.")


class OfferRescind(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason | None = Field(None, description="Kept in the audit trail.")


class OfferRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    application_id: uuid.UUID
    offer_version: int = Field(description="1 for the application's first offer, then 2, 3, ...")
    status: OfferStatus = Field(description="draft, approval_pending, approved, sent, accepted, declined or rescinded.")
    start_date: date | None
    salary: Decimal | None
    currency: str | None
    terms: str | None
    approver: str | None
    approved_by: str | None = Field(description="The principal that approved.")
    approved_at: datetime | None
    sent_at: datetime | None
    resolved_at: datetime | None = Field(description="When it was accepted, declined or rescinded.")
    decline_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
