"""Writes of performance metrics in the caller's transaction.

Most metrics arrive through ``Ledger.log_metric`` (batched, asynchronous). These functions
are for writers that need the rows now and atomically: the performance job, which replaces
a window's metrics as late labels change them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from predledger.ids import new_id
from predledger.metrics.models import PerformanceMetric
from predledger.metrics.schemas import PerformanceMetricCreate, PerformanceMetricPublic


def record_performance_metrics(
    session: Session, metrics: Sequence[PerformanceMetricCreate], *, now: datetime | None = None
) -> list[PerformanceMetricPublic]:
    """Insert performance metric values and return them as stored.

    Args:
        session: a session in the caller's transaction.
        metrics: the values.
        now: their ``created_at`` (default now).
    """
    created_at = now or datetime.now(UTC)
    rows: list[dict[str, Any]] = [
        {"id": new_id()[0], "created_at": created_at, **metric.model_dump()} for metric in metrics
    ]
    if rows:
        session.execute(insert(PerformanceMetric), rows)
    return [PerformanceMetricPublic.model_validate(row) for row in rows]


def record_performance_metric(
    session: Session, metric: PerformanceMetricCreate, *, now: datetime | None = None
) -> PerformanceMetricPublic:
    """Insert one performance metric value and return it as stored."""
    return record_performance_metrics(session, [metric], now=now)[0]


def delete_window_metrics(
    session: Session,
    *,
    model_name: str,
    model_version: str,
    window_start: datetime,
    window_end: datetime,
    kinds: Sequence[str] = ("realized", "estimated"),
) -> int:
    """Delete the metrics stored for one version and window; returns how many rows went."""
    result = session.execute(
        delete(PerformanceMetric).where(
            PerformanceMetric.model_name == model_name,
            PerformanceMetric.model_version == model_version,
            PerformanceMetric.window_start == window_start,
            PerformanceMetric.window_end == window_end,
            PerformanceMetric.kind.in_(kinds),
        ),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0))
