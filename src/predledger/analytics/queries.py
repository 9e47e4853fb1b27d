"""Analytics answered from the hourly rollups, so their cost does not grow with the rows.

``prediction_rollups`` holds, per model version, hour, label and status, the counts and
sums the means need; ``prediction_latency_buckets`` the latency sketch. Only
``recent_predictions`` reads raw rows, and it is bounded by its limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from predledger.analytics.schemas import (
    AnalyticsSummary,
    DateRange,
    LatencySummary,
    RecentPrediction,
    TimeBucket,
)
from predledger.predictions.models import LatencyBucket, Prediction, PredictionRollup
from predledger.predictions.sketch import percentile

R = PredictionRollup
B = LatencyBucket
P = Prediction


@dataclass(frozen=True)
class ModelFilter:
    """Which model (and version) an analytics answer covers; ``None`` means every one."""

    model: str | None = None
    version: str | None = None


def _conditions(
    table: type[R] | type[B] | type[P], which: ModelFilter
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if which.model is not None:
        conditions.append(table.model_name == which.model)
    if which.version is not None:
        conditions.append(table.model_version == which.version)
    return conditions


def _ratio(total: Any, count: Any) -> float | None:
    return float(total) / int(count) if count else None


def prediction_summary(session: Session, which: ModelFilter) -> AnalyticsSummary:
    """Count, mean confidence, mean latency and the date range of the predictions."""
    row = session.execute(
        select(
            func.sum(R.count),
            func.sum(R.score_sum),
            func.sum(R.score_count),
            func.sum(R.latency_sum),
            func.sum(R.latency_count),
            func.min(R.first_at),
            func.max(R.last_at),
        ).where(*_conditions(R, which))
    ).one()
    total, score_sum, score_count, latency_sum, latency_count, earliest, latest = row
    return AnalyticsSummary(
        total_predictions=int(total or 0),
        avg_confidence=_ratio(score_sum, score_count),
        avg_latency_ms=_ratio(latency_sum, latency_count),
        date_range=DateRange(earliest=earliest, latest=latest),
    )


def label_distribution(session: Session, which: ModelFilter) -> dict[str, int]:
    """How many predictions gave each label, most frequent first."""
    rows = session.execute(
        select(R.label, func.sum(R.count).label("n"))
        .where(R.label != "", *_conditions(R, which))
        .group_by(R.label)
        .order_by(func.sum(R.count).desc(), R.label)
    ).all()
    return {label: int(count) for label, count in rows}


def predictions_by_model(session: Session) -> dict[str, int]:
    """How many predictions each model made, all versions together."""
    rows = session.execute(
        select(R.model_name, func.sum(R.count)).group_by(R.model_name).order_by(R.model_name)
    ).all()
    return {name: int(count) for name, count in rows}


def latency_summary(session: Session, which: ModelFilter) -> LatencySummary:
    """Latency percentiles read from the sketch, and the exact maximum."""
    buckets = session.execute(
        select(B.bucket, func.sum(B.count)).where(*_conditions(B, which)).group_by(B.bucket)
    ).all()
    pairs = [(int(bucket), int(count)) for bucket, count in buckets]
    worst = session.execute(
        select(func.max(R.latency_max)).where(R.latency_count > 0, *_conditions(R, which))
    ).scalar()
    return LatencySummary(
        count=sum(count for _, count in pairs),
        p50_ms=percentile(pairs, 50),
        p90_ms=percentile(pairs, 90),
        p95_ms=percentile(pairs, 95),
        p99_ms=percentile(pairs, 99),
        max_ms=float(worst) if worst is not None else None,
    )


def prediction_timeseries(
    session: Session,
    which: ModelFilter,
    *,
    since: datetime,
    until: datetime | None = None,
    bucket: Literal["hour", "day"] = "hour",
) -> list[TimeBucket]:
    """Counts, errors and means per hour (or day) from ``since`` to ``until``, oldest first."""
    conditions = [R.hour >= _hour_floor(since), *_conditions(R, which)]
    if until is not None:
        conditions.append(R.hour < until)
    errors = func.sum(case((R.status == "error", R.count), else_=0))
    rows = session.execute(
        select(
            R.hour,
            func.sum(R.count),
            errors,
            func.sum(R.score_sum),
            func.sum(R.score_count),
            func.sum(R.latency_sum),
            func.sum(R.latency_count),
        )
        .where(*conditions)
        .group_by(R.hour)
        .order_by(R.hour)
    ).all()
    merged: dict[datetime, list[float]] = {}
    for hour, *sums in rows:
        start = hour.replace(hour=0) if bucket == "day" else hour
        acc = merged.setdefault(start, [0.0] * 6)
        for index, value in enumerate(sums):
            acc[index] += float(value or 0)
    return [
        TimeBucket(
            start=start,
            count=int(acc[0]),
            errors=int(acc[1]),
            avg_confidence=_ratio(acc[2], acc[3]),
            avg_latency_ms=_ratio(acc[4], acc[5]),
        )
        for start, acc in merged.items()
    ]


def _hour_floor(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def default_since(bucket: Literal["hour", "day"]) -> datetime:
    """The start of the default window: a day of hours, or thirty days."""
    span = timedelta(days=1) if bucket == "hour" else timedelta(days=30)
    return datetime.now(UTC) - span


def recent_predictions(
    session: Session, which: ModelFilter, *, limit: int
) -> list[RecentPrediction]:
    """The newest predictions without their inputs (for privacy: they are not even read)."""
    rows = session.execute(
        select(
            P.id,
            P.created_at,
            P.model_name,
            P.model_version,
            P.label,
            P.score,
            P.value,
            P.latency_ms,
            P.status,
            P.cache_hit,
        )
        .where(*_conditions(P, which))
        .order_by(P.created_at.desc(), P.id.desc())
        .limit(limit)
    ).all()
    return [
        RecentPrediction(
            id=str(row.id),
            timestamp=row.created_at,
            model_name=row.model_name,
            model_version=row.model_version,
            label=row.label,
            sentiment=row.label,
            confidence=row.score,
            value=row.value,
            latency_ms=row.latency_ms,
            status=row.status,
            cache_hit=row.cache_hit,
        )
        for row in rows
    ]
