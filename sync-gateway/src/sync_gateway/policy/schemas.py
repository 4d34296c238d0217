"""Field-policy bodies."""
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from shared_schemas.policy import Carrier, FieldKind, OwnershipMode


class FieldPolicyRead(BaseModel):
    """One field of the profile catalogue."""

    field: str
    kind: FieldKind
    mode: OwnershipMode = Field(description="ats, crm, prefer_ats_unless_blank, prefer_crm_unless_blank, two_way, union or none. "
                               "`two_way`: the later change wins by its `field_times` entry; when both sides changed "
                               "it at the same moment the ATS wins, and both end with the same value and time.")
    why: str
    synced_now: bool = Field(description="True when the profile sync carries the field (under `mode`).")
    carried_by: Carrier = Field(description="`profile`: the profile sync, under `mode`; `flows`: the business flows "
                                "(push to job, applied, hired, rejected), one way; `nothing`: it never leaves its system.")
    allowed_modes: list[OwnershipMode] = Field(description="What `PUT /v1/field-policy/{field}` accepts for it.")


class PolicyChange(BaseModel):
    """The new mode of a field."""

    model_config = ConfigDict(extra="forbid")
    mode: OwnershipMode


class PolicyChanged(BaseModel):
    """A field's mode after a change, the mode before, and every change so far."""

    field: str
    mode: OwnershipMode
    previous_mode: OwnershipMode
    changed_by: str
    history: list[dict[str, Any]] = Field(description="Every change: `at`, `by`, `from`, `to`.")
