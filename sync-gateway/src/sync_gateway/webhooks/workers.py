"""Where the fan-out and the dispatcher run: inside the gateway app (`GATEWAY_WEBHOOKS_ENABLED=true`, the default)
or in a process of their own, `talent-gateway webhooks`, so that delivery never competes with the sync."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI
from prometheus_client import start_http_server
from talentkit.db import create_engine, sessionmaker
from talentkit.observability import configure_logging
from talentkit.uow import OutboxWriter, UnitOfWorkFactory

from sync_gateway import models  # noqa: F401 - every table mapped before the first query
from sync_gateway.config import Settings
from sync_gateway.db import platform
from sync_gateway.webhooks.config import WebhookSettings
from sync_gateway.webhooks.dispatcher import Dispatcher
from sync_gateway.webhooks.fanout import FanOut

Worker = Callable[[FastAPI], Coroutine[Any, Any, None]]


def webhook_workers(settings: Settings, hooks: WebhookSettings) -> tuple[Worker, ...]:
    """The app's fan-out and dispatcher workers; none when `GATEWAY_WEBHOOKS_ENABLED=false`."""
    if not hooks.enabled:
        return ()

    async def webhook_fanout(app: FastAPI) -> None:
        app.state.webhook_fanout = FanOut(app.state.uow_factory, settings.kafka_bootstrap_servers, hooks)
        await app.state.webhook_fanout.run()

    async def webhook_dispatcher(app: FastAPI) -> None:
        app.state.webhook_dispatcher = Dispatcher(app.state.uow_factory, settings.database_url, hooks)
        await app.state.webhook_dispatcher.run()

    return (webhook_fanout, webhook_dispatcher)


async def run_webhooks(settings: Settings, hooks: WebhookSettings) -> None:
    """Fan-out and dispatcher in this process until cancelled (several such processes may run: both are safe)."""
    engine = create_engine(settings.database_url)
    uows = UnitOfWorkFactory(sessionmaker(engine), sinks=(OutboxWriter(platform, "/sync-gateway"),))
    try:
        await asyncio.gather(FanOut(uows, settings.kafka_bootstrap_servers, hooks).run(),
                             Dispatcher(uows, settings.database_url, hooks).run())
    finally:
        await engine.dispose()


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add `talent-gateway webhooks` to the CLI."""
    p = commands.add_parser("webhooks", parents=parents, help="run the webhook fan-out and dispatcher in this process",
                            description="Run the webhook fan-out (its own consumer group over both systems' topics) "
                            "and the dispatcher until SIGTERM or Ctrl-C, with the gateway's settings (GATEWAY_*, "
                            "GATEWAY_WEBHOOKS_*). Run it beside gateways started with GATEWAY_WEBHOOKS_ENABLED=false "
                            "so delivery never slows the sync; any number of these processes may run at once.")
    p.add_argument("--metrics-port", type=int, metavar="PORT", help="serve Prometheus metrics on 127.0.0.1:PORT")
    p.set_defaults(run=_command)


async def _command(args: argparse.Namespace) -> int:
    settings = Settings()
    configure_logging("sync-gateway-webhooks", "INFO" if args.verbose else settings.log_level)
    if args.metrics_port:
        start_http_server(args.metrics_port, addr="127.0.0.1")
    task = asyncio.ensure_future(run_webhooks(settings, WebhookSettings()))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return 0
