"""What the dashboard tests share: the running service and a watched browser page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from dashboard_seed import Seeded
from playwright.sync_api import Page

from predledger import Ledger

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@dataclass
class Dashboard:
    """A running service on a seeded database."""

    url: str
    ledger: Ledger
    seeded: Seeded
    client: httpx.Client


@dataclass
class WatchedPage:
    """A page with everything the browser complained about and every address it asked for."""

    page: Page
    problems: list[str]
    requested: list[str]

    def open(self, url: str) -> None:
        """Go to ``url`` and wait until the dashboard's script has drawn the page."""
        self.page.goto(url)
        self.page.wait_for_selector("html[data-dashboard-ready]")

    def points(self, chart: str) -> int:
        """How many data points the plotly chart ``chart`` holds across its traces."""
        count: Any = self.page.evaluate(
            """(id) => {
                const plot = document.getElementById("chart-" + id);
                if (!plot || !plot.data) { return -1; }
                return plot.data.reduce((n, trace) => n + (trace.x ? trace.x.length : 0), 0);
            }""",
            chart,
        )
        return int(count)

    def screenshot(self, name: str) -> None:
        """Write ``test-output/screenshots/<name>.png`` (the whole page)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def watch(page: Page) -> WatchedPage:
    """Record the page's console errors, uncaught exceptions and requests."""
    watched = WatchedPage(page, [], [])
    page.on(
        "console",
        lambda message: (
            watched.problems.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda error: watched.problems.append(f"page error: {error}"))
    page.on("request", lambda request: watched.requested.append(request.url))
    page.set_default_timeout(20_000)
    return watched
