"""The monitor: a thread that runs the performance job, drift reports, alert rules and retention.

    monitor = start_monitor(store)          # returns the running thread
    ...
    monitor.stop()

Each task runs every its own interval, in this order when several are due: performance
(fresh metrics), drift (fresh reports), alerts (which read both), retention. Before running a
task, the monitor takes that task's lease in the database for most of an interval, so when
several processes run a monitor (``predledger serve --workers 4``) each task runs once per
interval, not once per process. A failing task is logged and recorded in ``last_errors``;
the next run goes on schedule.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from predledger.monitor.locks import try_lease
from predledger.monitor.settings import MonitorSettings
from predledger.monitor.tasks import (
    run_alert_evaluation,
    run_retention,
    run_scheduled_drift_reports,
)
from predledger.registry.retry import run_in_transaction
from predledger.store.engine import Store

logger = logging.getLogger(__name__)
TaskFunction = Callable[[], dict[str, Any]]


@dataclass
class _Task:
    name: str
    interval: float
    run: TaskFunction
    next_at: float = 0.0


class Monitor(threading.Thread):
    """Runs the monitoring tasks on their intervals until ``stop()``.

    Args:
        store: the database.
        settings: intervals and permissions (default: ``MonitorSettings()``).
        holder: this process's name on the leases (default: host, pid and thread).
    """

    def __init__(
        self, store: Store, settings: MonitorSettings | None = None, *, holder: str | None = None
    ) -> None:
        super().__init__(name="predledger-monitor", daemon=True)
        self.store = store
        self.settings = settings or MonitorSettings()
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.last_results: dict[str, dict[str, Any]] = {}
        self.last_errors: dict[str, str] = {}
        self.runs: dict[str, int] = {}
        self._halt = threading.Event()
        self._tasks = self._build_tasks()

    def _build_tasks(self) -> list[_Task]:
        from predledger.performance.monitor import PerformanceMonitor

        s = self.settings
        performance = PerformanceMonitor(self.store, interval=s.performance_interval)
        candidates = [
            _Task("performance", s.performance_interval,
                  lambda: performance.run_once().model_dump(mode="json")),
            _Task("drift", s.drift_interval, lambda: run_scheduled_drift_reports(self.store, s)),
            _Task("alerts", s.alerts_interval, lambda: run_alert_evaluation(self.store, s)),
            _Task("retention", s.retention_interval, lambda: run_retention(self.store, s)),
        ]  # fmt: skip
        return [task for task in candidates if task.interval > 0]

    def run_once(self, *, force: bool = True) -> dict[str, dict[str, Any]]:
        """Run every task now (``force``) or only the due ones; return what each did."""
        now = time.monotonic()
        done = {}
        for task in self._tasks:
            if self._halt.is_set():
                break
            if force or task.next_at <= now:
                done[task.name] = self._run_task(task, use_lease=not force)
                task.next_at = time.monotonic() + task.interval
        return done

    def run(self) -> None:
        """The thread's loop: wait for the next due task, run it, repeat until stopped."""
        start = time.monotonic() + self.settings.first_delay
        for task in self._tasks:
            task.next_at = start
        while not self._halt.is_set():
            if self._tasks:
                wait = min(task.next_at for task in self._tasks) - time.monotonic()
                if wait > 0 and self._halt.wait(min(wait, 60.0)):
                    break
                self.run_once(force=False)
            elif self._halt.wait(60.0):
                break

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the task under way; wait at most ``timeout`` seconds for the thread."""
        self._halt.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    def _run_task(self, task: _Task, *, use_lease: bool) -> dict[str, Any]:
        try:
            if use_lease and not self._take_lease(task):
                return {"skipped": "another process holds this task's lease"}
            result = task.run()
        except Exception as exc:  # a task must not kill the schedule: record it, go on
            logger.exception("monitor task %s failed; next try in %.0f s", task.name, task.interval)
            self.last_errors[task.name] = f"{type(exc).__name__}: {exc}"
            return {"error": self.last_errors[task.name]}
        self.last_errors.pop(task.name, None)
        self.last_results[task.name] = result
        self.runs[task.name] = self.runs.get(task.name, 0) + 1
        return result

    def _take_lease(self, task: _Task) -> bool:
        ttl = timedelta(seconds=max(1.0, task.interval * 0.9))
        return run_in_transaction(
            self.store,
            lambda session: try_lease(
                session, task.name, holder=self.holder, ttl=ttl, now=datetime.now(UTC)
            ),
            what=f"take the {task.name} lease",
        )


def start_monitor(store: Store, settings: MonitorSettings | None = None) -> Monitor:
    """Start the monitor on its own daemon thread and return it (``stop()`` ends it).

    Args:
        store: the database.
        settings: intervals and permissions (default: ``MonitorSettings()``).
    """
    monitor = Monitor(store, settings)
    monitor.start()
    return monitor
