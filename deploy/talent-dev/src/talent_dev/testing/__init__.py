"""The helpers every test suite shares (one copy, imported by all of them)."""
from talent_dev.testing.apps import LOOPBACK_ONLY, ServiceProcess, running_app, start_all
from talent_dev.testing.data import opened_data, personal_data_hits
from talent_dev.testing.kafka import header, headers_of, partitions_of, read_to_end, read_topic
from talent_dev.testing.ports import free_port
from talent_dev.testing.problems import PROBLEM_JSON, is_problem, problem_fields
from talent_dev.testing.smtp import Inbox, smtp_sink
from talent_dev.testing.statements import statements_sent
from talent_dev.testing.waiting import wait_until, wait_until_blocking

__all__ = [
    "LOOPBACK_ONLY", "PROBLEM_JSON", "Inbox", "ServiceProcess", "free_port", "header", "headers_of", "is_problem",
    "opened_data", "partitions_of", "personal_data_hits", "problem_fields", "read_to_end", "read_topic",
    "running_app", "smtp_sink", "start_all", "statements_sent", "wait_until", "wait_until_blocking",
]
