"""`/v1/event-keys`: a person's key, for consumers opening the personal values sealed in this service's events
(`talentkit.sealing`)."""
from talentkit.event_keys.routes import event_keys_router

__all__ = ["event_keys_router"]
