"""``instrument(app, ledger)``: predledger's middleware, routes and error handlers on an app.

The public face is ``predledger.integrations.fastapi``; this module holds the work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool

from predledger.api.errors import install_error_handlers
from predledger.api.metrics import ServiceMetrics
from predledger.api.middleware import RequestLogMiddleware
from predledger.api.routes import all_routers
from predledger.api.state import ResourceSampler, ServiceState
from predledger.auth.dependencies import attach_access_control
from predledger.auth.settings import AuthSettings
from predledger.cache.metrics import CacheCollector
from predledger.ingest.ledger import Ledger
from predledger.logfiles import LogFileSettings


def predledger_routers() -> list[APIRouter]:
    """Every predledger router, to mount yourself with ``app.include_router``."""
    return all_routers()


def instrument(
    app: FastAPI,
    ledger: Ledger,
    *,
    routes: bool | Sequence[APIRouter] = True,
    log_files: LogFileSettings | bool = True,
    log_inputs: bool = False,
    error_handlers: bool = True,
    issue_session_cookie: bool = True,
    exclude_paths: Iterable[str] = (),
    close_ledger: bool = True,
    auth: AuthSettings | bool = False,
) -> ServiceState:
    """Log every request of ``app`` to ``ledger`` and serve predledger's routes.

    Call it before the app starts serving.

    Args:
        app: the FastAPI app.
        ledger: where predictions and requests are logged.
        routes: ``True`` mounts every predledger route (``/v1/...``, ``/analytics/...``,
            ``/predictions/history``, ``/admin/stats``, ``/healthz``, ``/readyz``,
            ``/metrics``); ``False`` none (mount ``predledger_routers()`` yourself); or
            the routers to mount.
        log_files: write ``logs/predictions.log`` and ``logs/api_requests.log``
            (``True``), with these settings, or not at all (``False``).
        log_inputs: put model inputs in ``predictions.log`` (off: they may be personal).
        error_handlers: answer predledger's errors and validation errors readably.
        issue_session_cookie: give clients without a session a ``predledger_session``
            cookie; a session is recorded once a client sends it (or ``X-Session-Id``).
        exclude_paths: paths whose requests are not logged (e.g. ``{"/healthz"}``).
        close_ledger: flush and close the ledger when the app shuts down.
        auth: require an API key or a dashboard sign-in on predledger's routes (``True``
            or settings with limits); ``False`` answers callers on this machine only.

    Returns:
        The state kept on ``app.state.predledger``.
    """
    settings = LogFileSettings() if log_files is True else log_files or None
    if settings is not None and settings.enabled:
        ledger.write_log_files(
            replace(settings, include_inputs=settings.include_inputs or log_inputs)
        )
    metrics = ServiceMetrics(ledger)
    metrics.registry.register(CacheCollector(ledger))
    state = ServiceState(
        ledger=ledger,
        metrics=metrics,
        log_files=settings is not None and settings.enabled,
        resources=ResourceSampler(),
        close_ledger=close_ledger,
    )
    app.state.predledger = state
    attach_access_control(app, ledger.store, auth)  # inside the request log: 413s are logged
    app.add_middleware(
        RequestLogMiddleware,
        state=state,
        issue_session_cookie=issue_session_cookie,
        exclude_paths=frozenset(exclude_paths),
    )
    chosen = all_routers() if routes is True else list(routes or [])
    for router in chosen:
        app.include_router(router)
    if error_handlers:
        install_error_handlers(app)
    _close_on_shutdown(app, state)
    return state


def _close_on_shutdown(app: FastAPI, state: ServiceState) -> None:
    """Wrap the app's lifespan: start the sampler, then close everything on shutdown."""
    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(inner_app: Any) -> AsyncIterator[Any]:
        async with original(inner_app) as inner_state:
            state.start()
            try:
                yield inner_state
            finally:
                await run_in_threadpool(state.close)

    app.router.lifespan_context = lifespan
