"""How erased people are recognised across systems without keeping their data: a hash of the normalized email."""
import hashlib


def email_hash(email: str) -> str:
    """sha256 of the trimmed, lower-cased address (what both services store for emails)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()
