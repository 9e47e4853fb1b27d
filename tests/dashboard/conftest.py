"""A seeded predledger service and Debian's Chromium driven by Playwright.

The browser is ``/usr/bin/chromium`` (never one Playwright downloads). Under ``CI=true`` a
missing Chromium fails the run; elsewhere the browser tests are skipped with the command
that installs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dashboard_seed import seed_dashboard
from dashboard_support import Dashboard, WatchedPage, watch
from playwright.sync_api import Browser, sync_playwright

from predledger import Ledger
from predledger.api import create_app

from support.live_server import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
INSTALL = "apt-get install -y chromium"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """predledger's own app, serving a database seeded with a day and a half of everything."""
    folder = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{folder / 'ledger.db'}"
    seeded = seed_dashboard(url, str(folder / "seed-journal"))
    ledger = Ledger(url, journal_dir=folder / "journal", flush_interval=0.02)
    app = create_app(ledger, log_files=False)
    try:
        with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
            yield Dashboard(server.url, ledger, seeded, client)
    finally:
        ledger.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM}: {INSTALL}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def laptop(browser: Browser) -> Iterator[WatchedPage]:
    """A fresh browser tab the size of a laptop screen."""
    context = browser.new_context(viewport=LAPTOP)
    yield watch(context.new_page())
    context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[WatchedPage]:
    """A fresh browser tab the width of a phone."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    yield watch(context.new_page())
    context.close()
