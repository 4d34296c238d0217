"""Debian's headless Chromium for the public pages' browser tests, driven by Playwright (which never downloads a
browser of its own here)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless Chromium (a Playwright `Browser`), closed on exit; a missing Chromium or Playwright is a
    failure, not a skip."""
    assert Path(CHROMIUM).exists(), "Chromium is missing: apt-get update && apt-get install -y chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise AssertionError("Playwright is missing: .venv/bin/pip install playwright") from exc
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
