"""CRM problem types beyond the platform's own (rendered by the same problem+json handler)."""
from talentkit.errors import ProblemError


class Gone(ProblemError):
    """The record existed and was erased: it will never accept a write again."""

    status, title, slug = 410, "Gone", "gone"
