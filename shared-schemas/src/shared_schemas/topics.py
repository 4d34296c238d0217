"""Kafka topic names: one topic per service and aggregate."""

ATS_CANDIDATES = "ats.candidates"
ATS_JOBS = "ats.jobs"
ATS_APPLICATIONS = "ats.applications"
ATS_INTERVIEWS = "ats.interviews"
ATS_SCORECARDS = "ats.scorecards"
ATS_OFFERS = "ats.offers"
ATS_RESUMES = "ats.resumes"
ATS_BACKGROUND_CHECKS = "ats.background_checks"
CRM_PROSPECTS = "crm.prospects"
CRM_POOLS = "crm.pools"
CRM_ALERTS = "crm.alerts"
CRM_CONSENTS = "crm.consents"
CRM_ENROLLMENTS = "crm.enrollments"
CRM_MESSAGES = "crm.messages"

ATS_TOPICS = (ATS_CANDIDATES, ATS_JOBS, ATS_APPLICATIONS, ATS_INTERVIEWS, ATS_SCORECARDS, ATS_OFFERS,
              ATS_BACKGROUND_CHECKS, ATS_RESUMES)
CRM_TOPICS = (CRM_PROSPECTS, CRM_POOLS, CRM_ALERTS, CRM_CONSENTS, CRM_ENROLLMENTS, CRM_MESSAGES)
ALL_TOPICS = (*ATS_TOPICS, *CRM_TOPICS)


def dead_letter_topic(consumer_group: str) -> str:
    """Where a consumer group parks events it cannot process, with the error in headers."""
    return f"dlq.{consumer_group}"
