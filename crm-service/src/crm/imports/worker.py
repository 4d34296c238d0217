"""The background worker: works through unfinished imports a chunk at a time. Every replica runs one; the row
lock of a chunk keeps two from taking the same rows, and a restarted process resumes at `processed`. An upload in
this process wakes it at once; uploads to other replicas are found within `CRM_IMPORT_POLL_SECONDS`."""
from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from talentkit.background import wait_until_set

from crm.imports.config import ImportSettings
from crm.imports.service import ImportRunner

log = logging.getLogger("crm.imports")


def import_settings(app: FastAPI) -> ImportSettings:
    """The app's import settings (`app.state.import_settings`), read from the environment once."""
    if getattr(app.state, "import_settings", None) is None:
        app.state.import_settings = ImportSettings()
    return app.state.import_settings  # type: ignore[no-any-return]


def wake(app: FastAPI) -> None:
    """Tell this process's worker that there is work."""
    if (event := getattr(app.state, "import_wakeup", None)) is not None:
        event.set()


async def import_worker(app: FastAPI) -> None:
    """Worker: run chunks while there are any, then wait for a wake-up or the poll interval."""
    app.state.import_wakeup = wakeup = asyncio.Event()
    runner = ImportRunner(app.state.uow_factory, max_rows=import_settings(app).max_rows)
    while True:
        settings = import_settings(app)
        try:
            while settings.worker_enabled and await runner.run_chunk():
                await asyncio.sleep(0)  # let requests in between chunks
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("import chunk failed")
        wakeup.clear()
        await wait_until_set(wakeup, settings.poll_seconds)
