"""What every command shares: one-line failures with an exit code, the service's settings, the gateway's parts
and database (from the composition root), retries of transient failures, and topic partitions."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError

from sync_gateway import container
from sync_gateway.config import Settings

log = logging.getLogger("sync_gateway.cli")
RETRIES = 5
T = TypeVar("T")


class CliError(Exception):
    """A failure to report in one line (no traceback), with the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def load_settings() -> Settings:
    """The gateway service's own settings (GATEWAY_*, KAFKA_BOOTSTRAP_SERVERS, TALENT_GATEWAY_API_KEY)."""
    try:
        return Settings()
    except ValidationError as exc:
        raise CliError(f"invalid gateway settings: {exc}") from None


@asynccontextmanager
async def gateway_and_database(settings: Settings) -> AsyncIterator[tuple[container.Gateway, container.Database]]:
    """The gateway's parts and its database, as the service builds them; closed afterwards."""
    try:
        gateway = container.build(settings)
    except RuntimeError as exc:
        raise CliError(str(exc)) from None
    db = container.open_database(settings)
    try:
        yield gateway, db
    finally:
        await gateway.close()
        await db.close()


def is_retryable(exc: BaseException) -> bool:
    """Transient (a peer down or busy, a record that kept changing), a connection problem, or the live consumer
    linking the same person at the same moment (IntegrityError: the retry sees its link)."""
    return container.is_transient(exc) or isinstance(exc, (IntegrityError, OperationalError))


async def with_retries(what: str, make: Callable[[], Awaitable[T]]) -> T:
    """Run `make()`, retrying transient failures with backoff."""
    for attempt in range(1, RETRIES + 1):
        try:
            return await make()
        except Exception as exc:
            if not is_retryable(exc) or attempt == RETRIES:
                raise
            delay = min(10.0, 0.5 * 2 ** attempt)
            log.warning("%s: transient failure (%r); retry %d in %.1fs", what, exc, attempt, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


async def partitions(admin: AIOKafkaAdminClient, topics: set[str]) -> dict[str, list[int]]:
    """The partitions of those of `topics` that exist (a missing topic is left out, never auto-created)."""
    existing = sorted(topics & set(await admin.list_topics()))
    if not existing:
        return {}
    described: list[dict[str, Any]] = await admin.describe_topics(existing)
    return {t["topic"]: sorted(p["partition"] for p in t.get("partitions", ())) for t in described if not t.get("error_code")}
