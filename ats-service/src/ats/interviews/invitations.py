"""Calendar invitations (RFC 5545, built with `icalendar`): one UID per interview for its whole life, SEQUENCE
raised by every change, METHOD REQUEST while it stands and CANCEL when it is called off (RFC 5546 iTIP)."""
from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from ats.interviews.models import Interview, InterviewStatus

PRODID = "-//Talent platform//ATS interviews//EN"


def uid(interview: Interview, domain: str) -> str:
    """The invitation's UID: the same for the interview's first invitation, every update and the cancel."""
    return f"interview-{interview.id}@{domain}"


def ics(interview: Interview, *, organizer: str, attendees: list[str], title: str, stamp: datetime) -> str:
    """The iCalendar object of the interview as it stands now (REQUEST, or CANCEL once cancelled)."""
    cancelled = interview.status == InterviewStatus.CANCELLED
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", uid(interview, organizer.rpartition("@")[2] or "ats.local"))
    event.add("sequence", interview.calendar_sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", interview.starts_at)
    event.add("dtend", interview.ends_at)
    event.add("summary", title)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if interview.location:
        event.add("location", interview.location)
    description = [f"Times are shown in {interview.timezone} on the careers site."]
    if interview.video_link:
        description.append(f"Join: {interview.video_link}")
        event.add("url", interview.video_link)
    event.add("description", "\n".join(description))
    org = vCalAddress(f"mailto:{organizer}")
    org.params["cn"] = vText("Recruiting")
    event["organizer"] = org
    for who in attendees:
        person = vCalAddress(f"mailto:{who}")
        person.params.update({"role": vText("REQ-PARTICIPANT"), "partstat": vText("NEEDS-ACTION"), "rsvp": vText("TRUE")})
        event.add("attendee", person, encode=False)
    cal.add_component(event)
    return cal.to_ical().decode()
