"""Background threads that live exactly as long as the app.

Each is started after the app's startup and stopped before its shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool


class Stoppable(Protocol):
    """Something running in the background that ``stop()`` ends."""

    def stop(self) -> None: ...


def run_while_serving(app: FastAPI, start: Callable[[], Stoppable]) -> None:
    """Call ``start()`` once the app has started, and stop what it returned at shutdown.

    Stopping waits for the thread in the thread pool, so the event loop stays free for the
    requests still finishing.
    """
    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(inner_app: Any) -> AsyncIterator[Any]:
        async with original(inner_app) as inner_state:
            running = start()
            try:
                yield inner_state
            finally:
                await run_in_threadpool(running.stop)

    app.router.lifespan_context = lifespan
