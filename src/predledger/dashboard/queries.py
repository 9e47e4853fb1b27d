"""Reads behind the overview and system pages: sums over a time range, per version and hour.

``predledger.analytics.queries`` answers over all time; the dashboard needs the same sums
over a chosen range, per version and per hour. Predictions are read only from
``prediction_rollups`` (through its hour index) and the latency sketches
(``predledger.dashboard.latency``), so a page costs the same at ten thousand predictions or
ten million.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from predledger.dashboard.latency import LatencyView, Version, read_latency
from predledger.dashboard.timebuckets import DAY_S, HOUR_S, as_datetime, slice_start
from predledger.dashboard.timerange import TimeRange
from predledger.metrics.models import SystemMetric
from predledger.predictions.models import PredictionRollup
from predledger.traffic.models import ApiRequest

R = PredictionRollup
A = ApiRequest
M = SystemMetric


@dataclass(frozen=True)
class VersionStats:
    """One model version over a range."""

    model: str
    version: str
    count: int
    errors: int
    cache_hits: int
    mean_confidence: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None

    @property
    def error_rate(self) -> float:
        """Share of predictions with status ``error``."""
        return self.errors / self.count if self.count else 0.0

    @property
    def cache_hit_rate(self) -> float:
        """Share of predictions answered from a cache."""
        return self.cache_hits / self.count if self.count else 0.0


@dataclass(frozen=True)
class HourPoint:
    """One model version's counts in one hour (or day)."""

    model: str
    version: str
    start: datetime
    count: int
    errors: int
    cache_hits: int


def _window(table: type[R], span: TimeRange, model: str | None) -> list[ColumnElement[bool]]:
    conditions = [table.hour >= span.first_hour, table.hour < span.until]
    if model is not None:
        conditions.append(table.model_name == model)
    return conditions


@dataclass(frozen=True)
class OverviewNumbers:
    """Everything the overview shows of predictions over a range, from one pass."""

    stats: list[VersionStats]
    latency: LatencyView
    traffic: list[HourPoint]
    labels: dict[str, dict[str, int]]


def _slices(session: Session, span: TimeRange, model: str | None) -> list[tuple[Any, ...]]:
    """Rollup sums per model, version, hour (or day), label and status: one index range."""
    start = slice_start(R.hour, DAY_S if span.bucket == "day" else HOUR_S)
    keys = (R.model_name, R.model_version, start, R.label, R.status)
    sums = (R.count, R.cache_hits, R.score_sum, R.score_count)
    query = select(*keys, *(func.sum(column) for column in sums)).where(*_window(R, span, model))
    return [tuple(row) for row in session.execute(query.group_by(*keys))]


def overview_numbers(session: Session, span: TimeRange, model: str | None) -> OverviewNumbers:
    """What the overview shows of predictions, from one read of the rollups.

    Per version: traffic, errors, cache hits, confidence and latency percentiles; per hour
    (or day): traffic and latency; and the labels of each model.
    """
    per_version: dict[Version, list[float]] = {}
    per_point: dict[tuple[str, str, int], list[int]] = {}
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for name, version, at, label, status, *sums in _slices(session, span, model):
        # PostgreSQL sums BIGINT into NUMERIC: back to plain numbers before any arithmetic.
        count, hits, score_sum, score_count = (
            int(sums[0]),
            int(sums[1]),
            float(sums[2]),
            int(sums[3]),
        )
        failed = count if status == "error" else 0
        totals = per_version.setdefault((name, version), [0, 0, 0, 0.0, 0])
        for index, value in enumerate((count, failed, hits, score_sum, score_count)):
            totals[index] += value
        point = per_point.setdefault((name, version, int(at)), [0, 0, 0])
        for index, number in enumerate((count, failed, hits)):
            point[index] += number
        if label:
            labels[name][label] += count
    latency = read_latency(session, span, sorted(per_version))
    return OverviewNumbers(
        stats=[_version_stats(key, per_version[key], latency) for key in sorted(per_version)],
        latency=latency,
        traffic=[
            HourPoint(name, version, as_datetime(at), *sums)
            for (name, version, at), sums in sorted(per_point.items(), key=lambda i: i[0][2])
        ],
        labels={name: dict(counts.most_common()) for name, counts in sorted(labels.items())},
    )


def _version_stats(key: Version, totals: list[float], latency: LatencyView) -> VersionStats:
    count, errors, hits, score_sum, score_count = totals
    p50, p95, p99 = latency.version_percentiles(key)
    return VersionStats(
        model=key[0],
        version=key[1],
        count=int(count),
        errors=int(errors),
        cache_hits=int(hits),
        mean_confidence=float(score_sum) / score_count if score_count else None,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
    )


def version_stats(session: Session, span: TimeRange, model: str | None) -> list[VersionStats]:
    """Per model version over the range (see ``overview_numbers``)."""
    return overview_numbers(session, span, model).stats


def latency_series(
    session: Session, span: TimeRange, model: str | None
) -> list[tuple[datetime, list[float | None]]]:
    """p50, p95 and p99 latency per hour (or day) over every version shown, oldest first."""
    return overview_numbers(session, span, model).latency.series()


def traffic_series(session: Session, span: TimeRange, model: str | None) -> list[HourPoint]:
    """Counts, errors and cache hits per model version and hour (or day), oldest first."""
    return overview_numbers(session, span, model).traffic


def label_counts(session: Session, span: TimeRange, model: str | None) -> dict[str, dict[str, int]]:
    """``{model: {label: count}}`` over the range, labels most frequent first."""
    return overview_numbers(session, span, model).labels


def known_models(session: Session) -> dict[str, list[str]]:
    """``{model: [versions]}`` of every model that made a prediction, by name."""
    rows = session.execute(
        select(R.model_name, R.model_version).distinct().order_by(R.model_name, R.model_version)
    ).all()
    models: dict[str, list[str]] = defaultdict(list)
    for name, version in rows:
        models[name].append(version)
    return dict(models)


@dataclass(frozen=True)
class RequestBucket:
    """The API requests of one slice of time."""

    start: datetime
    count: int
    server_errors: int
    mean_ms: float
    max_ms: float


def request_series(
    session: Session, *, since: datetime, until: datetime, width_s: int
) -> list[RequestBucket]:
    """Requests per ``width_s`` seconds: counts, 5xx answers, mean and worst response time.

    Requests have no rollup, so this reads the window's rows (through the ``created_at``
    index) and groups them in the database; keep the window to hours.
    """
    bucket = slice_start(A.created_at, width_s)
    rows = session.execute(
        select(
            bucket,
            func.count(),
            func.sum(case((A.status_code >= 500, 1), else_=0)),
            func.avg(A.response_time_ms),
            func.max(A.response_time_ms),
        )
        .where(A.created_at >= since, A.created_at < until)
        .group_by(bucket)
        .order_by(bucket)
    ).all()
    return [
        RequestBucket(
            start=as_datetime(start),
            count=int(count),
            server_errors=int(errors or 0),
            mean_ms=float(mean or 0.0),
            max_ms=float(worst or 0.0),
        )
        for start, count, errors, mean, worst in rows
    ]


def metric_series(
    session: Session, names: Sequence[str], *, since: datetime, until: datetime, width_s: int
) -> dict[str, tuple[list[datetime], list[float]]]:
    """The mean of each system metric per ``width_s`` seconds: ``{name: (starts, means)}``.

    A chart needs a few hundred points, not every sample; averaging in the database keeps
    a day of 15-second samples cheap. Samples of one name with different labels (several
    GPUs) are averaged together.
    """
    bucket = slice_start(M.created_at, width_s)
    rows = session.execute(
        select(M.name, bucket, func.avg(M.value))
        .where(M.name.in_(list(names)), M.created_at >= since, M.created_at < until)
        .group_by(M.name, bucket)
        .order_by(M.name, bucket)
    ).all()
    series: dict[str, tuple[list[datetime], list[float]]] = {}
    for name, start, mean in rows:
        starts, means = series.setdefault(name, ([], []))
        starts.append(as_datetime(start))
        means.append(float(mean))
    return series
