"""predledger's own service: ``create_app()``, which ``predledger serve`` runs.

It is built exactly as the README tells users to embed predledger: a FastAPI app, a
``Ledger`` and ``instrument(app, ledger)``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from fastapi import APIRouter, FastAPI

from predledger.api.background import run_while_serving
from predledger.api.instrument import instrument
from predledger.auth.settings import AuthSettings
from predledger.errors import ConfigurationError
from predledger.ingest.ledger import Ledger
from predledger.logfiles import LogFileSettings
from predledger.metrics.sampler import SystemMetricsSampler
from predledger.monitor.scheduler import start_monitor
from predledger.monitor.settings import MonitorSettings

ENV_LOG_DIR = "PREDLEDGER_LOG_DIR"
ENV_LOG_FILES = "PREDLEDGER_LOG_FILES"
ENV_LOG_MAX_BYTES = "PREDLEDGER_LOG_MAX_BYTES"
ENV_LOG_BACKUPS = "PREDLEDGER_LOG_BACKUPS"
ENV_AUTO_UPGRADE = "PREDLEDGER_AUTO_UPGRADE"
ENV_SYSTEM_METRICS = "PREDLEDGER_SYSTEM_METRICS_INTERVAL"
DEFAULT_SYSTEM_METRICS_INTERVAL = 15.0

DESCRIPTION = """\
The prediction ledger: log predictions from any language, record ground truth, and read
history and analytics. Python services embed the `Ledger` directly.
"""


def create_app(
    ledger: Ledger | None = None,
    *,
    database_url: str | None = None,
    journal_dir: str | os.PathLike[str] | None = None,
    log_files: LogFileSettings | bool = True,
    routers: Sequence[APIRouter] = (),
    auto_upgrade: bool = False,
    title: str = "predledger",
    monitor: MonitorSettings | bool = False,
    auth: AuthSettings | bool = False,
    system_metrics_interval: float | None = None,
) -> FastAPI:
    """Build predledger's HTTP service.

    Args:
        ledger: the ledger to serve; by default one is opened on ``database_url`` and
            closed when the app shuts down.
        database_url: the database, when no ledger is given (default
            ``PREDLEDGER_DATABASE_URL`` or ``sqlite:///./predledger.db``).
        journal_dir: the journal folder, when no ledger is given.
        log_files: the rotating JSON log files' settings, ``True`` (``logs/``) or ``False``.
        routers: routers to serve beside predledger's own.
        auto_upgrade: upgrade an older schema instead of refusing to start.
        title: the title of the OpenAPI docs.
        monitor: run the monitoring scheduler (drift reports, performance, alert rules,
            retention) while the app runs: ``True`` with the defaults, or these settings.
        auth: require an API key or a dashboard sign-in (``True``, or settings with request
            limits). ``False`` (the default here, for tests and embedding) answers only
            callers on this machine; ``predledger serve`` turns authentication on.
        system_metrics_interval: sample the host's CPU, memory, disk and connections into
            ``system_metrics`` every this many seconds while the app runs (``None``: don't).

    Raises:
        SchemaOutdatedError: the database's schema is older than this predledger.
    """
    from predledger import __version__

    owned = ledger is None
    if ledger is None:
        ledger = Ledger(database_url, journal_dir=journal_dir, auto_upgrade=auto_upgrade)
    app = FastAPI(title=title, version=__version__, description=DESCRIPTION)
    instrument(app, ledger, log_files=log_files, close_ledger=owned, auth=auth)
    for router in routers:
        app.include_router(router)
    if monitor:
        settings = monitor if isinstance(monitor, MonitorSettings) else MonitorSettings()
        run_while_serving(app, lambda: start_monitor(ledger.store, settings))
    if system_metrics_interval is not None:
        interval = system_metrics_interval
        run_while_serving(app, lambda: start_system_metrics(ledger, interval))
    return app


def start_system_metrics(ledger: Ledger, interval: float) -> SystemMetricsSampler:
    """A running sampler of the host's metrics, logged through ``ledger`` every ``interval`` s."""
    sampler = SystemMetricsSampler(ledger, interval=interval)
    sampler.start()
    return sampler


def create_app_from_env() -> FastAPI:
    """The app ``predledger serve`` runs in each worker, configured by the environment.

    ``PREDLEDGER_DATABASE_URL``, ``PREDLEDGER_JOURNAL_DIR``, ``PREDLEDGER_LOG_DIR``,
    ``PREDLEDGER_LOG_FILES`` (``0`` turns them off), ``PREDLEDGER_LOG_MAX_BYTES``,
    ``PREDLEDGER_LOG_BACKUPS`` and ``PREDLEDGER_AUTO_UPGRADE``; the monitor runs unless
    ``PREDLEDGER_MONITOR=0`` (see ``predledger.monitor.settings``); authentication is on
    unless ``PREDLEDGER_AUTH=0`` (see ``predledger.auth.settings``); the host's metrics are
    sampled every ``PREDLEDGER_SYSTEM_METRICS_INTERVAL`` seconds (15; ``0`` turns it off).
    """
    monitor = MonitorSettings.from_env()
    return create_app(
        log_files=log_settings_from_env(),
        auto_upgrade=_flag(ENV_AUTO_UPGRADE),
        monitor=monitor if monitor.enabled else False,
        auth=AuthSettings.from_env(),
        system_metrics_interval=system_metrics_interval_from_env(),
    )


def system_metrics_interval_from_env(
    default: float = DEFAULT_SYSTEM_METRICS_INTERVAL,
) -> float | None:
    """Seconds between system metric samples (``default`` when unset), ``None`` when off.

    Raises:
        ConfigurationError: ``PREDLEDGER_SYSTEM_METRICS_INTERVAL`` is not a number.
    """
    text = os.environ.get(ENV_SYSTEM_METRICS, "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        raise ConfigurationError(
            f"{ENV_SYSTEM_METRICS}={text!r} is not a number of seconds: "
            "set it to e.g. 15, or 0 to turn system metrics off"
        ) from None
    return seconds if seconds > 0 else None


def log_settings_from_env() -> LogFileSettings | bool:
    """The log file settings the environment names."""
    if os.environ.get(ENV_LOG_FILES, "1").lower() in ("0", "false", "no", "off"):
        return False
    defaults = LogFileSettings()
    return LogFileSettings(
        directory=Path(os.environ.get(ENV_LOG_DIR) or defaults.directory),
        max_bytes=int(os.environ.get(ENV_LOG_MAX_BYTES) or defaults.max_bytes),
        backups=int(os.environ.get(ENV_LOG_BACKUPS) or defaults.backups),
    )


def _flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes", "on")
