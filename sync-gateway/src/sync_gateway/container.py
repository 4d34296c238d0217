"""The composition root: the gateway's parts, built once from the settings, used by the app (`main.py`) and by
the operations CLI (`cli/`), so both run exactly the same code with the same wiring.

    gateway = build(settings)            # peers, policy cache, profile sync, flows, consumer handler, alarm
    gateway.consumer_options(...)        # how the consumer applies each event (handler, ordering, retries)
    gateway.resync_runner(uow_factory)   # the resync job runner of this process
    db = open_database(settings)         # engine + unit-of-work factory, for entry points outside the app
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from aiokafka import ConsumerRecord
from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from talentkit.consumer import TransientError
from talentkit.db import create_engine, sessionmaker
from talentkit.sealing import Unsealer, http_key_fetch
from talentkit.uow import OutboxWriter, UnitOfWork, UnitOfWorkFactory

from sync_gateway import models  # noqa: F401 - every table mapped before the first query
from sync_gateway.clients.peer import PeerClient, PeerUnavailable
from sync_gateway.config import Settings
from sync_gateway.consumers.handler import EventHandler, person_of, wanted
from sync_gateway.db import platform
from sync_gateway.flows import BusinessFlows
from sync_gateway.flows.common import STAGE_RANK, FlowContext
from sync_gateway.health.service import DeadLetterAlarm
from sync_gateway.operations import dead_letters
from sync_gateway.policy.store import PolicyCache
from sync_gateway.profiles.service import ProfileSync
from sync_gateway.resync.runner import ResyncRunner

SOURCE = "/sync-gateway"
# Retry (then park), never dead-letter at once: a record that kept changing, two people's events racing to link the
# same record (the retry sees the link), no pooled connection free in time.
TRANSIENT = (TransientError, IntegrityError, PoolTimeout)


def is_transient(exc: BaseException) -> bool:
    """Whether the consumer should retry an event that failed this way."""
    return isinstance(exc, TRANSIENT)


def is_outage(exc: BaseException) -> bool:
    """A peer that is down holds everything back and parks nothing."""
    return isinstance(exc, PeerUnavailable)


@dataclass
class Gateway:
    """The gateway's parts."""

    settings: Settings
    ats: PeerClient
    crm: PeerClient
    policy: PolicyCache
    profiles: ProfileSync
    flows: BusinessFlows
    handler: EventHandler
    alarm: DeadLetterAlarm
    unsealer: Unsealer  # opens the personal values sealed in events, with keys fetched from their producer
    runner: ResyncRunner | None = field(default=None)

    def resync_runner(self, uow_factory: Callable[[], UnitOfWork]) -> ResyncRunner:
        """The resync job runner of this process."""
        s = self.settings
        self.runner = ResyncRunner(uow_factory=uow_factory, profiles=self.profiles, concurrency=s.resync_concurrency,
                                   batch=s.resync_batch, lease_seconds=s.resync_lease_seconds,
                                   poll_seconds=s.resync_poll_seconds, link_attempts=s.resync_link_attempts)
        return self.runner

    async def wake_runner(self) -> None:
        """Tell this process's runner a job was queued (other replicas find it at their next poll)."""
        if self.runner is not None:
            await self.runner.wake()

    def consumer_options(self, sessions: async_sessionmaker[AsyncSession], uow_factory: UnitOfWorkFactory) -> dict[str, Any]:
        """How the live consumer (and the CLI's replay) applies the gateway's events."""
        return {"group": self.settings.consumer_group, "sessions": sessions, "tables": platform,
                "handle": self.handler.bind(sessions).handle, "key_of": person_of, "wants": wanted,
                "is_transient": is_transient, "is_outage": is_outage, "on_dead_letter": self.dead_letter_hook(uow_factory),
                "unsealer": self.unsealer}

    def dead_letter_hook(self, uow_factory: UnitOfWorkFactory) -> Callable[[ConsumerRecord, BaseException, int], Awaitable[None]]:
        """The consumer's dead-letter hook: keep the record, count the run, alert."""
        return self.alarm.after(dead_letters.sink(self.settings.consumer_group, uow_factory), uow_factory)

    async def close(self) -> None:
        """Close the peer clients."""
        await self.ats.close()
        await self.crm.close()


def build(settings: Settings) -> Gateway:
    """Every part, wired."""
    key = settings.gateway_api_key or settings.admin_api_key
    if key is None:
        raise RuntimeError("set TALENT_GATEWAY_API_KEY: the gateway writes to the ATS and CRM with it")
    ats = PeerClient(side="ats", base_url=settings.ats_url, collection="/v1/candidates",
                     api_key=key.get_secret_value(), timeout=settings.http_timeout_seconds)
    crm = PeerClient(side="crm", base_url=settings.crm_url, collection="/v1/prospects",
                     api_key=key.get_secret_value(), timeout=settings.http_timeout_seconds)
    policy = PolicyCache(max_age=settings.policy_cache_seconds)
    profiles = ProfileSync(ats=ats, crm=crm, policy=policy)
    flows = BusinessFlows(FlowContext(ats=ats, crm=crm, profiles=profiles,
                                      silver_min_rank=STAGE_RANK[settings.silver_medalist_min_stage]))
    alarm = DeadLetterAlarm(threshold=settings.dead_letter_alert_threshold,
                            window_seconds=settings.dead_letter_alert_window_seconds)
    unsealer = Unsealer(http_key_fetch({"/ats": settings.ats_url, "/crm": settings.crm_url}, {}, ats.http))
    return Gateway(settings=settings, ats=ats, crm=crm, policy=policy, profiles=profiles, flows=flows,
                   handler=EventHandler(profiles=profiles, flows=flows), alarm=alarm, unsealer=unsealer)


@dataclass
class Database:
    """The gateway database for an entry point outside the app (the CLI): sessions and units of work."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    uow_factory: UnitOfWorkFactory

    async def close(self) -> None:
        await self.engine.dispose()


def open_database(settings: Settings) -> Database:
    """An engine and a unit-of-work factory like the app's (same outbox)."""
    engine = create_engine(settings.database_url, pool_timeout=settings.db_pool_timeout_seconds)
    sessions = sessionmaker(engine)
    return Database(engine, sessions, UnitOfWorkFactory(sessions, sinks=(OutboxWriter(platform, SOURCE),)))


def _gateway(request: Request) -> Gateway:
    return request.app.state.gateway  # type: ignore[no-any-return]


Wiring = Annotated[Gateway, Depends(_gateway)]
"""The app's gateway parts, for a route."""
