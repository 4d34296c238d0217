"""The employee the ATS hands to the HRIS, in the shape unified HRIS APIs share (names, emails, employment,
compensation). This model is the documented JSON body of the HTTP adapter's `POST {ATS_HRIS_URL}/employees`."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field


class Compensation(BaseModel):
    amount: Decimal = Field(description="The accepted offer's yearly base salary, a decimal string.")
    currency: str = Field(description="ISO 4217, e.g. `EUR`.")
    pay_period: str = Field("YEAR", description="What `amount` covers: always `YEAR` (offers hold a yearly base).")


class HrisEmployee(BaseModel):
    """One new hire. Optional fields are null when the ATS does not know them."""

    remote_id: str = Field(description="The ATS application id: the same hire always carries the same id.")
    first_name: str
    last_name: str
    display_full_name: str
    work_email: str | None = Field(None, description="As given at the hire.")
    personal_email: str | None = Field(None, description="The candidate's first email.")
    mobile_phone_number: str | None = None
    start_date: date | None = Field(None, description="From the hire, else the accepted offer.")
    job_title: str
    department: str | None = None
    work_location: str | None = None
    manager: str | None = Field(None, description="The job's hiring manager (user id or email).")
    employment_type: str | None = Field(None, description="FULL_TIME, PART_TIME, CONTRACTOR, TEMPORARY or INTERN.")
    compensation: Compensation | None = Field(None, description="From the accepted offer, when there is one.")
