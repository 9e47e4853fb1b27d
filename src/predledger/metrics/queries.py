"""Reads of metric time series: a model's performance metrics and the system's samples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from predledger.metrics.models import PerformanceMetric, SystemMetric
from predledger.metrics.schemas import PerformanceMetricPublic, SystemMetricPublic

MAX_POINTS = 100_000


def performance_metric_series(
    session: Session,
    *,
    metric_name: str,
    model_name: str | None = None,
    model_version: str | None = None,
    kind: str | None = None,
    window: str | None = None,
    days: float | None = 7,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10_000,
) -> list[PerformanceMetricPublic]:
    """Return a performance metric's values over time, oldest first.

    A value's time is the start of its window, or when it was logged if it has none.

    Args:
        session: the session to read with.
        metric_name: e.g. ``"accuracy"`` or ``"f1[class=yes]"``.
        model_name: only this model.
        model_version: only this version.
        kind: ``"realized"`` or ``"estimated"``.
        window: only values over this kind of window (``"hour"``, ``"day"``, ``"custom"``).
        days: how far back from now, when ``since`` is not given.
        since: the earliest time included.
        until: the first time excluded.
        limit: at most this many values (the oldest are returned first).
    """
    at = func.coalesce(PerformanceMetric.window_start, PerformanceMetric.created_at)
    start = since or (datetime.now(UTC) - timedelta(days=days) if days is not None else None)
    query = select(PerformanceMetric).where(PerformanceMetric.metric_name == metric_name)
    for column, wanted in (
        (PerformanceMetric.model_name, model_name),
        (PerformanceMetric.model_version, model_version),
        (PerformanceMetric.kind, kind),
    ):
        if wanted is not None:
            query = query.where(column == wanted)
    if start is not None:
        query = query.where(at >= start)
    if until is not None:
        query = query.where(at < until)
    if window is not None:
        query = query.where(PerformanceMetric.labels["window"].as_string() == window)
    query = query.order_by(at, PerformanceMetric.model_version).limit(min(limit, MAX_POINTS))
    return [_performance_public(row) for row in session.scalars(query)]


def _performance_public(row: PerformanceMetric) -> PerformanceMetricPublic:
    return PerformanceMetricPublic(
        id=str(row.id),
        created_at=row.created_at,
        model_name=row.model_name,
        model_version=row.model_version,
        metric_name=row.metric_name,
        value=row.value,
        kind=row.kind,
        stage=row.stage,
        window_start=row.window_start,
        window_end=row.window_end,
        dataset_version=row.dataset_version,
        labels=row.labels,
    )


def system_metric_series(
    session: Session,
    *,
    name: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10_000,
) -> list[SystemMetricPublic]:
    """Return system metric samples, oldest first: one metric's, or all of them.

    Args:
        session: the session to read with.
        name: e.g. ``"cpu_percent"``; every metric when ``None``.
        since: the earliest time included (default: the last hour).
        until: the first time excluded.
        limit: at most this many samples.
    """
    start = since or datetime.now(UTC) - timedelta(hours=1)
    query = select(SystemMetric).where(SystemMetric.created_at >= start)
    if name is not None:
        query = query.where(SystemMetric.name == name)
    if until is not None:
        query = query.where(SystemMetric.created_at < until)
    query = query.order_by(SystemMetric.created_at, SystemMetric.name).limit(min(limit, MAX_POINTS))
    return [
        SystemMetricPublic(
            id=str(row.id),
            created_at=row.created_at,
            name=row.name,
            value=row.value,
            labels=row.labels,
        )
        for row in session.scalars(query)
    ]


def system_metric_names(session: Session) -> list[str]:
    """Return the names of the system metrics that have samples."""
    return list(session.scalars(select(SystemMetric.name).distinct().order_by(SystemMetric.name)))
