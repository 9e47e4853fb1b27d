"""The performance job: score recent windows (and the ones late labels changed) and store them.

``run_performance_job(store)`` is one pass, for any scheduler; ``PerformanceMonitor`` runs it
every ``interval`` seconds on a thread of its own, as the service does::

    monitor = PerformanceMonitor(store, interval=300)
    monitor.start()
    ...
    monitor.stop()
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from predledger.performance.queries import labelled_since, prediction_hours
from predledger.performance.schemas import PerformanceJobResult, WindowPerformance
from predledger.performance.service import (
    compute_window_performance,
    scoring_context,
    store_window_performance,
)
from predledger.performance.windows import Granularity, Window, windows_containing
from predledger.registry.retry import run_in_transaction
from predledger.store.engine import Store

logger = logging.getLogger(__name__)

DEFAULT_LOOKBACK = timedelta(hours=24)
DEFAULT_GRANULARITIES: tuple[Granularity, ...] = ("hour", "day")
# Labels whose transaction committed a little after the previous pass began still count.
FEEDBACK_OVERLAP = timedelta(minutes=5)


def run_performance_job(
    store: Store,
    *,
    now: datetime | None = None,
    lookback: timedelta = DEFAULT_LOOKBACK,
    granularities: Sequence[Granularity] = DEFAULT_GRANULARITIES,
    feedback_since: datetime | None = None,
) -> PerformanceJobResult:
    """Score and store every window with predictions in the last ``lookback``.

    Also rescored: every window holding a prediction whose label arrived since
    ``feedback_since``, however old, so realised metrics catch up with late labels.

    Args:
        store: the database.
        now: the end of the period (default: now).
        lookback: how far back windows are rescored on every pass.
        granularities: which windows: ``"hour"`` and/or ``"day"``.
        feedback_since: also rescore windows labelled since then (``None``: none).

    Returns:
        How many windows were scored and rows written.
    """
    started = now or datetime.now(UTC)
    with store.transaction() as session:
        hours = prediction_hours(session, since=started - lookback, until=started)
        labelled = (
            labelled_since(session, since=feedback_since, until=started + FEEDBACK_OVERLAP)
            if feedback_since is not None
            else []
        )
    targets: dict[tuple[str, str], set[Window]] = defaultdict(set)
    for model, version, at in [*hours, *labelled]:
        for granularity in granularities:
            targets[(model, version)].update(windows_containing([at], granularity))
    windows = written = 0
    for (model, version), versions_windows in sorted(targets.items()):
        results = _score(store, model, version, sorted(versions_windows))
        written += run_in_transaction(
            store,
            functools.partial(store_window_performance, results=results, now=started),
            what=f"store the performance of {model} {version}",
        )
        windows += len(results)
    return PerformanceJobResult(
        started_at=started,
        windows=windows,
        rows_written=written,
        versions=[f"{model}:{version}" for model, version in sorted(targets)],
    )


def _score(
    store: Store, model: str, version: str, windows: list[Window]
) -> list[WindowPerformance]:
    with store.transaction() as session:
        context = scoring_context(session, model, version)
        return [
            compute_window_performance(
                session, name=model, version=version, window=window, context=context
            )
            for window in windows
        ]


class PerformanceMonitor:
    """Runs the performance job periodically on a daemon thread.

    Each pass rescores the last ``lookback`` and every window whose labels arrived since
    the previous pass. A failing pass is logged and the next one runs on schedule.

    Args:
        store: the database.
        interval: seconds between passes.
        lookback: how far back every pass rescores.
        granularities: which windows to store: ``"hour"`` and/or ``"day"``.
    """

    def __init__(
        self,
        store: Store,
        *,
        interval: float = 300.0,
        lookback: timedelta = DEFAULT_LOOKBACK,
        granularities: Sequence[Granularity] = DEFAULT_GRANULARITIES,
    ) -> None:
        self.store = store
        self.interval = interval
        self.lookback = lookback
        self.granularities = tuple(granularities)
        self.last_result: PerformanceJobResult | None = None
        self._last_started: datetime | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._run_lock = threading.Lock()

    def run_once(self, now: datetime | None = None) -> PerformanceJobResult:
        """Run one pass now and return what it did."""
        with self._run_lock:
            since = None if self._last_started is None else self._last_started - FEEDBACK_OVERLAP
            result = run_performance_job(
                self.store,
                now=now,
                lookback=self.lookback,
                granularities=self.granularities,
                feedback_since=since,
            )
            self._last_started = result.started_at
            self.last_result = result
            return result

    def start(self) -> None:
        """Start passes every ``interval`` seconds, the first one at once."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._loop, name="predledger-performance", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the pass under way, waiting at most ``timeout`` seconds."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_once()
            except Exception:  # a pass must not kill the schedule: log it, try again later
                logger.exception("the performance job failed; retrying in %.0f s", self.interval)
            self._stopping.wait(self.interval)
