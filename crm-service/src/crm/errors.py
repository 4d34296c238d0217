"""CRM problem types beyond the platform's own (rendered by the same problem+json handler)."""
from talentkit.errors import Gone

__all__ = ["Gone"]
