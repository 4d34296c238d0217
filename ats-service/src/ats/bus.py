"""The ATS's in-service reactions to its own events, each registered by the feature that reacts."""
from talentkit.uow import MessageBus

from ats.applications import handlers as applications
from ats.candidates import handlers as candidates
from ats.interviews import handlers as interviews
from ats.notes import handlers as notes
from ats.offers import handlers as offers
from ats.scorecards import handlers as scorecards


def message_bus() -> MessageBus:
    """A bus with every ATS handler: an accepted offer makes its application hireable; notes follow their
    candidate's merge; erasure reaches everything that holds personal data (notes, free text on applications,
    scorecards and offers, the audit trail's personal values, the platform's copies)."""
    bus = MessageBus()
    for feature in (applications, candidates, interviews, notes, offers, scorecards):
        feature.register(bus)
    return bus
