"""``predledger monitor``: run the monitoring scheduler in the foreground (or one pass)."""

from __future__ import annotations

import json
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from predledger.cli.db import DatabaseUrl
from predledger.cli.output import console, friendly_errors
from predledger.cli.store_option import opened_store
from predledger.monitor.settings import MonitorSettings

if TYPE_CHECKING:
    from predledger.monitor.scheduler import Monitor

Seconds = Annotated[float | None, typer.Option(help="Seconds between runs (0 turns it off).")]


@friendly_errors
def monitor(
    once: Annotated[bool, typer.Option("--once", help="Run every task once and exit.")] = False,
    drift_interval: Seconds = None,
    drift_hours: Annotated[float | None, typer.Option(help="Window of the drift reports.")] = None,
    performance_interval: Seconds = None,
    alerts_interval: Seconds = None,
    retention_interval: Seconds = None,
    allow_private_webhooks: Annotated[
        bool, typer.Option("--allow-private-webhooks", help="Let webhooks reach internal hosts.")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Run drift reports, performance jobs, alert rules and retention on their intervals."""
    from predledger.monitor.scheduler import Monitor

    env = MonitorSettings.from_env()
    settings = MonitorSettings(
        drift_interval=env.drift_interval if drift_interval is None else drift_interval,
        drift_hours=env.drift_hours if drift_hours is None else drift_hours,
        drift_mode=env.drift_mode,
        performance_interval=_pick(performance_interval, env.performance_interval),
        alerts_interval=_pick(alerts_interval, env.alerts_interval),
        retention_interval=_pick(retention_interval, env.retention_interval),
        allow_private_webhooks=allow_private_webhooks or env.allow_private_webhooks,
        first_delay=0.0,
    )
    with opened_store(database_url) as store:
        scheduler = Monitor(store, settings)
        if once:
            for task, result in scheduler.run_once().items():
                console.print(f"{task}: {json.dumps(result, default=str)}", highlight=False)
            if scheduler.last_errors:
                raise typer.Exit(1)
            return
        _run_until_signal(scheduler, store.describe())


def _pick(given: float | None, default: float) -> float:
    return default if given is None else given


def _run_until_signal(scheduler: Monitor, where: str) -> None:
    stopped = threading.Event()

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, _on_signal)
    console.print(f"monitoring {where} (Ctrl-C stops)", highlight=False)
    scheduler.start()
    try:
        while not stopped.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.stop()
    console.print("monitor stopped", highlight=False)
