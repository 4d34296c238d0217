"""The ATS's in-service reactions to its own events, each registered by the feature that reacts."""
from talentkit.uow import MessageBus

from ats.applications import handlers as applications
from ats.notes import handlers as notes
from ats.resumes import handlers as resumes


def message_bus() -> MessageBus:
    """A bus with every ATS handler: an accepted offer makes its application hireable; notes and resumes follow
    their candidate's erasure and merge."""
    bus = MessageBus()
    for feature in (applications, notes, resumes):
        feature.register(bus)
    return bus
