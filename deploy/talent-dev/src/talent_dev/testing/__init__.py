"""The helpers every test suite shares (one copy, imported by all of them)."""
from talent_dev.testing.apps import LOOPBACK_ONLY, ServiceProcess, running_app
from talent_dev.testing.data import opened_data, personal_data_hits
from talent_dev.testing.ports import free_port

__all__ = ["LOOPBACK_ONLY", "ServiceProcess", "free_port", "opened_data", "personal_data_hits", "running_app"]
