"""Performance of registered model versions per window, computed from the ledger and stored.

A window's predictions are joined with the labels that have arrived so far: realised
metrics cover the labelled ones, and, when the version was registered with a labelled
reference, confidence-based estimates cover them all. Stored results are rows of
``performance_metrics`` (kind ``realized`` or ``estimated``, ``labels.window`` naming the
window's granularity); storing a window again replaces its rows, so late labels are picked
up by scoring the window once more.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from predledger.metrics.schemas import MetricKind, PerformanceMetricCreate
from predledger.metrics.service import delete_window_metrics, record_performance_metrics
from predledger.performance.metric_names import parse_metric_name
from predledger.performance.queries import load_window_rows, prediction_hours
from predledger.performance.schemas import WindowPerformance
from predledger.performance.scoring import ScoringContext, score_window
from predledger.performance.windows import Granularity, Window, windows_between
from predledger.registry.queries import find_estimator, find_model_version
from predledger.registry.retry import run_in_transaction
from predledger.registry.schemas import ModelVersionPublic
from predledger.store.engine import Store

_HOUR = timedelta(hours=1)
_TICK = timedelta(microseconds=1)


def scoring_context(session: Session, name: str, version: str) -> ScoringContext:
    """What the registry knows about a version; an unregistered one is scored from its rows."""
    registered = find_model_version(session, name, version)
    if registered is None:
        return ScoringContext()
    return ScoringContext(
        task=registered.task,
        classes=registered.classes,
        estimator=find_estimator(session, name, version) if registered.has_estimator else None,
    )


def compute_window_performance(
    session: Session,
    *,
    name: str,
    version: str,
    window: Window,
    context: ScoringContext | None = None,
) -> WindowPerformance:
    """Score one version over one window."""
    rows = load_window_rows(session, name=name, version=version, window=window)
    scores = score_window(rows, context or scoring_context(session, name, version))
    return WindowPerformance(
        model_name=name,
        model_version=version,
        granularity=window.granularity,
        window_start=window.start,
        window_end=window.end,
        task=scores.task,
        predictions=scores.predictions,
        labelled=scores.labelled,
        realized=scores.realized,
        estimated=scores.estimated,
    )


def compute_model_performance(
    session: Session,
    *,
    name: str,
    granularity: Granularity,
    since: datetime,
    until: datetime,
    version: str | None = None,
) -> list[WindowPerformance]:
    """Score a model's versions over the windows of ``[since, until)`` that hold predictions.

    Args:
        session: the session to read with.
        name: the model.
        granularity: ``"hour"``, ``"day"`` or ``"custom"`` (one window, ``since`` to ``until``).
        since: the start of the range.
        until: the end of the range (excluded).
        version: only this version.

    Returns:
        One result per version and window with predictions, by window then version.

    Raises:
        InvalidRecordError: the range is empty or holds too many windows.
    """
    windows = windows_between(since, until, granularity)
    hours = prediction_hours(session, since=windows[0].start, until=windows[-1].end, name=name)
    wanted = [(v, h) for _, v, h in hours if version is None or v == version]
    occupied = _occupied_windows(windows, wanted)
    contexts = {v: scoring_context(session, name, v) for v in {v for v, _ in occupied}}
    results = []
    for index, v in sorted((i, v) for v, i in occupied):
        result = compute_window_performance(
            session, name=name, version=v, window=windows[index], context=contexts[v]
        )
        if result.predictions:
            results.append(result)
    return results


def _occupied_windows(
    windows: list[Window], hours: Iterable[tuple[str, datetime]]
) -> set[tuple[str, int]]:
    """``(version, window index)`` of the windows that overlap an hour with predictions.

    ``windows`` are contiguous and of equal length, so an hour's windows are found by division.
    """
    first, step = windows[0].start, windows[0].end - windows[0].start
    occupied: set[tuple[str, int]] = set()
    for version, hour in hours:
        low = max(0, (hour - first) // step)
        high = min(len(windows) - 1, (hour + _HOUR - _TICK - first) // step)
        occupied.update((version, index) for index in range(low, high + 1))
    return occupied


def store_window_performance(
    session: Session, results: Iterable[WindowPerformance], *, now: datetime | None = None
) -> int:
    """Replace the stored metrics of each result's version and window; returns rows written."""
    written = 0
    for result in results:
        registered = find_model_version(session, result.model_name, result.model_version)
        delete_window_metrics(
            session,
            model_name=result.model_name,
            model_version=result.model_version,
            window_start=result.window_start,
            window_end=result.window_end,
        )
        kinds: tuple[tuple[MetricKind, dict[str, float]], ...] = (
            ("realized", result.realized),
            ("estimated", result.estimated),
        )
        rows = [
            _metric_row(result, metric, value, kind, registered)
            for kind, values in kinds
            for metric, value in values.items()
        ]
        written += len(record_performance_metrics(session, rows, now=now))
    return written


def _metric_row(
    result: WindowPerformance,
    metric: str,
    value: float,
    kind: MetricKind,
    registered: ModelVersionPublic | None,
) -> PerformanceMetricCreate:
    _, qualifiers = parse_metric_name(metric)
    return PerformanceMetricCreate(
        model_name=result.model_name,
        model_version=result.model_version,
        metric_name=metric,
        value=value,
        kind=kind,
        stage=None if registered is None else registered.stage,
        window_start=result.window_start,
        window_end=result.window_end,
        dataset_version=None if registered is None else registered.dataset_version,
        labels={"window": result.granularity, **qualifiers},
    )


def record_model_performance(
    store: Store,
    *,
    name: str,
    granularity: Granularity,
    since: datetime,
    until: datetime | None = None,
    version: str | None = None,
) -> list[WindowPerformance]:
    """Score a model over a range now and store the results (``performance_metrics`` rows).

    Scoring reads in one transaction; the rows are written in another, so the database's
    write lock is held only while they are replaced.
    """
    end = until or datetime.now(UTC)
    with store.transaction() as session:
        results = compute_model_performance(
            session, name=name, granularity=granularity, since=since, until=end, version=version
        )
    run_in_transaction(
        store,
        lambda session: store_window_performance(session, results),
        what=f"store the performance of {name}",
    )
    return results
