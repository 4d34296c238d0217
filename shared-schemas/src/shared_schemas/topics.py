"""Kafka topic names: one topic per service and aggregate."""

ATS_CANDIDATES = "ats.candidates"
CRM_PROSPECTS = "crm.prospects"

ALL_TOPICS = (ATS_CANDIDATES, CRM_PROSPECTS)


def dead_letter_topic(consumer_group: str) -> str:
    """Where a consumer group parks events it cannot process, with the error in headers."""
    return f"dlq.{consumer_group}"
