"""The CRM's in-service reactions to its own events, each registered by the feature that reacts."""
from talentkit.uow import MessageBus

from crm.activities import handlers as activities
from crm.alerts import handlers as alerts
from crm.consent import handlers as consent
from crm.enrollments import handlers as enrollments
from crm.pools import handlers as pools
from crm.prospects import handlers as prospects
from crm.pushes import handlers as pushes
from crm.resume_text import handlers as resume_text
from crm.sending import handlers as sending
from crm.work_history import handlers as work_history


def message_bus() -> MessageBus:
    """A bus with every CRM handler: an erased prospect's enrollments end and its messages, consent requests and
    timeline are blanked, its work history and resume excerpt forgotten, its event key shredded; a merge moves timeline, memberships and enrollment; stopped email, a reply or an ATS
    status end enrollments; an ATS status moves pool stages and settles pushes."""
    bus = MessageBus()
    # Enrollments first: the timeline entries their exits add are blanked with the rest on erasure.
    for feature in (enrollments, pools, pushes, sending, consent, activities, work_history, resume_text, prospects,
                    alerts):
        feature.register(bus)
    return bus
