"""The ATS's in-service reactions to its own events, each registered by the feature that reacts."""
from talentkit.uow import MessageBus

from ats.applications import handlers as applications
from ats.careers import handlers as careers
from ats.config import Settings
from ats.hris import handlers as hris
from ats.interviews import handlers as interviews
from ats.notes import handlers as notes
from ats.resumes import handlers as resumes
from ats.tasks import handlers as tasks


def message_bus(settings: Settings) -> MessageBus:
    """A bus with every ATS handler: an accepted offer makes its application hireable; notes, resumes and queued
    mail follow their candidate's erasure and merge; interviews send calendar invitations; a hire queues its HRIS
    hand-off."""
    bus = MessageBus()
    for feature in (applications, notes, resumes, tasks, hris, careers):
        feature.register(bus)
    interviews.register(bus, settings)
    return bus
