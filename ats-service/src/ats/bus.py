"""The ATS's in-service reactions to its own events, each registered by the feature that reacts."""
from talentkit.uow import MessageBus

from ats.applications import handlers as applications
from ats.candidates import handlers as candidates
from ats.careers import handlers as careers
from ats.config import Settings
from ats.hris import handlers as hris
from ats.interviews import handlers as interviews
from ats.notes import handlers as notes
from ats.offers import handlers as offers
from ats.resumes import handlers as resumes
from ats.scorecards import handlers as scorecards
from ats.tasks import handlers as tasks


def message_bus(settings: Settings) -> MessageBus:
    """A bus with every ATS handler: an accepted offer makes its application hireable; notes, resumes and queued
    mail follow their candidate's erasure and merge; interviews send calendar invitations; a hire queues its HRIS
    hand-off; erasure reaches everything that holds personal data (free text on applications, interviews,
    scorecards and offers, the audit trail's personal values, the platform's copies, the event key)."""
    bus = MessageBus()
    for feature in (applications, candidates, notes, resumes, offers, scorecards, tasks, hris, careers):
        feature.register(bus)
    interviews.register(bus, settings)
    return bus
