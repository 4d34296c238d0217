"""Art. 14 GDPR: a person whose data the CRM did not get from them must be told within a month of collection, or
at the first contact if that comes sooner."""
from __future__ import annotations

from datetime import datetime

from crm.consent.models import add_months

# Sources where the person gave us their data themselves (Art. 13 applies there, not Art. 14): the talent-community
# form and the career site. A person the gateway brought over from the ATS (`ats_import`) may have applied or may
# have been added by a recruiter from a profile found elsewhere; the CRM cannot tell, so it owes the notice: a
# privacy notice too many is lawful, one too few is not.
OWN_SIGN_UP = frozenset({"talent_community", "career_site"})


def sourced(source: str | None) -> bool:
    """Whether a prospect from `source` was collected without their own sign-up."""
    return (source or "").strip().lower() not in OWN_SIGN_UP


def due_at(collected_at: datetime) -> datetime:
    """Collection plus one calendar month."""
    return add_months(collected_at, 1)


def status(due: datetime, sent: datetime | None, now: datetime) -> str:
    """`sent`, `overdue` (past due, not sent) or `due` (not sent yet, still in time)."""
    if sent is not None:
        return "sent"
    return "overdue" if due < now else "due"


NOTICE = ("Why you hear from us: we found your professional profile in a public source and keep your name, contact "
          "details and work history in our recruiting CRM to tell you about jobs that may interest you (legitimate "
          "interest, Art. 6(1)(f) GDPR). You may object, ask for a copy or have your data erased at any time: reply "
          "to this email or use the link below. We keep the data until you object, or for at most two years after "
          "our last contact.")
