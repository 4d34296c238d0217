"""Offer bodies."""
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

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
Person = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=254)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Approvers = Annotated[list[Person], Field(max_length=10, description=(
    "The approver chain, in order: user ids or emails (compared lower-cased), 1 to 10, without the offer's author. "
    "Each approves in turn, as the `On-Behalf-Of` user (or as the API key itself when it is named here).")),
    AfterValidator(lambda v: list(dict.fromkeys(v)))]
APPROVER = Field(None, description="Deprecated: a chain of one, the same as `approvers: [approver]`.")


class _Chain(BaseModel):
    """`approver` (one) is the old spelling of `approvers` (the chain)."""

    if TYPE_CHECKING:  # a field of each subclass (declared there, in its place among their fields)
        approvers: Approvers | None

    @model_validator(mode="after")
    def _one_spelling(self) -> "_Chain":
        approver = getattr(self, "approver", None)
        if approver is not None:
            if getattr(self, "approvers", None) is not None:
                raise ValueError("give `approvers` (the chain) or the deprecated `approver`, not both")
            self.approvers = [approver]
        return self

    def values(self, **dump: object) -> dict[str, object]:
        """The body as offer fields (`approver` folded into `approvers`)."""
        out = self.model_dump(mode="python", **dump)  # type: ignore[arg-type]
        out.pop("approver", None)
        return out


class OfferCreate(_Chain):
    """A new draft offer. It gets the application's next `offer_version` and rescinds any earlier offer of the
    application that is still in play."""

    model_config = ConfigDict(extra="forbid")
    application_id: uuid.UUID = Field(description="An active application.")
    start_date: date | None = None
    salary: Salary | None = None
    currency: Currency | None = None
    terms: Terms | None = Field(None, description="Free text: bonus, equity, benefits, conditions.")
    approvers: Approvers | None = None
    approver: Person | None = APPROVER


class OfferUpdate(_Chain):
    """Fields of a draft offer to change; absent fields stay."""

    model_config = ConfigDict(extra="forbid")
    start_date: date | None = None
    salary: Salary | None = None
    currency: Currency | None = None
    terms: Terms | None = None
    approvers: Approvers | None = None
    approver: Person | None = APPROVER


class ApprovalRejection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason = Field(description="Why the offer goes back to draft, e.g. `salary above band`.")


class ApprovalRead(BaseModel):
    """One decision of the approver chain in the current round."""

    approver: str = Field(description="The approver (the `On-Behalf-Of` user, or the API key named in the chain).")
    decision: str = Field(description="`approved` or `rejected`.")
    reason: str | None = Field(None, description="Why, for a rejection.")
    principal: str = Field(description="The API key that sent the decision.")
    at: datetime


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
    approvers: list[str] = Field(description="The approver chain, in order.")
    approver: str | None = Field(description="Deprecated: the first of `approvers`.")
    next_approver: str | None = Field(description="While `approval_pending`: the approver whose decision is awaited "
                                                   "(only they may approve or reject).")
    approvals: list[ApprovalRead] = Field(description="This round's decisions, in order (reset by `/request-approval`).")
    drafted_by: str = Field(description="The offer's author (the `On-Behalf-Of` user, else the API key): never an approver.")
    approved_by: str | None = Field(description="The approver whose approval completed the chain.")
    approved_at: datetime | None
    sent_at: datetime | None
    resolved_at: datetime | None = Field(description="When it was accepted, declined or rescinded.")
    decline_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
