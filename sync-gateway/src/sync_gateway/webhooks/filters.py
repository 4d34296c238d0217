"""Event type filters: an exact type (`ats.candidate.created.v1`), a prefix (`ats.application.*`), or `*`."""
import re

PATTERN = re.compile(r"^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$")


def valid(pattern: str) -> bool:
    return bool(PATTERN.match(pattern))


def matches(patterns: list[str], event_type: str) -> bool:
    for p in patterns:
        if p == "*" or p == event_type:
            return True
        if p.endswith(".*") and event_type.startswith(p[:-1]):
            return True
    return False
