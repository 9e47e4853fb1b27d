"""Latency percentiles over a range, read from the hourly latency sketches.

The sketch table's primary key starts with the model and version, so every read names the
versions it wants (one index range each, ``MULTI-INDEX OR`` on SQLite): its cost follows the
range and the versions shown, never the table's size. Views longer than two days are summed per day,
and each finished day's sums are kept for a while: they no longer change (a journal
replay may still add to one, hence the expiry), so a refresh re-reads only today's hours.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from predledger.dashboard.timebuckets import HOUR_S, as_datetime, slice_start
from predledger.dashboard.timerange import TimeRange
from predledger.predictions.models import LatencyBucket
from predledger.predictions.sketch import percentile

B = LatencyBucket
Version = tuple[str, str]
PERCENTILES = (50.0, 95.0, 99.0)
DAY = timedelta(days=1)
KEEP_DAYS_S = 900.0
MAX_KEPT = 50_000


@dataclass
class LatencyView:
    """Sketch counts of a range: per version over all of it, and per chart point."""

    per_version: dict[Version, Counter[int]] = field(default_factory=dict)
    per_point: dict[datetime, Counter[int]] = field(default_factory=dict)

    def version_percentiles(self, version: Version) -> list[float | None]:
        """p50, p95 and p99 of one version over the range."""
        counts = self.per_version.get(version, Counter())
        return [percentile(counts.items(), q) for q in PERCENTILES]

    def series(self) -> list[tuple[datetime, list[float | None]]]:
        """p50, p95 and p99 per chart point (hour or day), oldest first."""
        return [
            (start, [percentile(counts.items(), q) for q in PERCENTILES])
            for start, counts in sorted(self.per_point.items())
        ]


class _DayCache:
    """Summed sketches of finished days per version, each kept one to two times ``KEEP_DAYS_S``."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, datetime, Version], tuple[float, Counter[int]]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, datetime, Version]) -> Counter[int] | None:
        with self._lock:
            found = self._kept.get(key)
        if found is None or time.monotonic() > found[0]:
            return None
        return found[1]

    def put(self, key: tuple[str, datetime, Version], counts: Counter[int]) -> None:
        # Each day expires at its own moment, so a month's days are not all re-read at once.
        expires = time.monotonic() + KEEP_DAYS_S * random.uniform(1.0, 2.0)
        with self._lock:
            if len(self._kept) >= MAX_KEPT:
                self._kept.clear()
            self._kept[key] = (expires, counts)


_days = _DayCache()


def _ranges(versions: Sequence[Version], start: datetime, end: datetime) -> ColumnElement[bool]:
    """One index range per version: ``MULTI-INDEX OR`` on SQLite, bitmap OR on PostgreSQL."""
    return or_(
        *(
            and_(B.model_name == name, B.model_version == version, B.hour >= start, B.hour < end)
            for name, version in versions
        )
    )


def _per_version(
    session: Session, versions: Sequence[Version], start: datetime, end: datetime
) -> dict[Version, Counter[int]]:
    """Each version's sketch summed over ``[start, end)``."""
    counts: dict[Version, Counter[int]] = defaultdict(Counter)
    if versions:
        keys = (B.model_name, B.model_version, B.bucket)
        query = select(*keys, func.sum(B.count)).where(_ranges(versions, start, end))
        for name, number, bucket, count in session.execute(query.group_by(*keys)):
            counts[(name, number)][int(bucket)] += int(count)
    return counts


def read_latency(session: Session, span: TimeRange, versions: Sequence[Version]) -> LatencyView:
    """The sketches of ``versions`` over ``span``, per version and per chart point."""
    if span.latency_bucket == "day":
        return _read_daily(session, span, versions)
    view = LatencyView(
        per_version=dict(_per_version(session, versions, span.first_hour, span.until))
    )
    if versions:
        hour = slice_start(B.hour, HOUR_S)
        query = (
            select(hour, B.bucket, func.sum(B.count))
            .where(_ranges(versions, span.first_hour, span.until))
            .group_by(hour, B.bucket)
        )
        for start, bucket, count in session.execute(query):
            view.per_point.setdefault(as_datetime(start), Counter())[int(bucket)] += int(count)
    return view


def _read_daily(session: Session, span: TimeRange, versions: Sequence[Version]) -> LatencyView:
    store = str(session.get_bind().engine.url)
    today = span.until.replace(hour=0, minute=0, second=0, microsecond=0)
    day = span.first_hour.replace(hour=0)
    view = LatencyView()
    while day < span.until:
        start, end = max(day, span.first_hour), min(day + DAY, span.until)
        finished = start == day and end == day + DAY and end <= today
        for version, counts in _day_counts(session, store, versions, start, end, finished).items():
            view.per_version.setdefault(version, Counter()).update(counts)
            view.per_point.setdefault(day, Counter()).update(counts)
        day += DAY
    return view


def _day_counts(
    session: Session,
    store: str,
    versions: Sequence[Version],
    start: datetime,
    end: datetime,
    finished: bool,
) -> dict[Version, Counter[int]]:
    found: dict[Version, Counter[int]] = {}
    missing = list(versions)
    if finished:
        kept = {v: _days.get((store, start, v)) for v in versions}
        found = {v: counts for v, counts in kept.items() if counts is not None}
        missing = [v for v in versions if v not in found]
    fresh = _per_version(session, missing, start, end)
    for version in missing:
        counts = fresh.get(version, Counter())
        if finished:
            _days.put((store, start, version), counts)
        found[version] = counts
    return found
