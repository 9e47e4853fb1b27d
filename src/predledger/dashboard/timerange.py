"""The time ranges a page can show: the last hour up to the last thirty days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

Bucket = Literal["hour", "day"]

RANGES: dict[str, timedelta] = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
DEFAULT_RANGE = "24h"
# Predictions are rolled up per hour: their pages offer whole hours and more.
HOURLY_RANGES: tuple[str, ...] = ("1h", "6h", "24h", "7d", "30d")


@dataclass(frozen=True)
class TimeRange:
    """A named range ending now.

    Attributes:
        name: ``15m``, ``1h``, ``6h``, ``24h``, ``7d`` or ``30d``.
        since: its start.
        until: its end (now).
        bucket: the width of a chart's points: hours, or days over thirty days.
    """

    name: str
    since: datetime
    until: datetime
    bucket: Bucket

    @property
    def latency_bucket(self) -> Bucket:
        """The width of the latency chart's points: days beyond two days.

        Percentiles come from sketches with dozens of rows per version and hour; a finished
        day's sums are kept (``predledger.dashboard.latency``), a week of hours is not.
        """
        return "day" if self.until - self.since > timedelta(days=2) else "hour"

    @property
    def first_hour(self) -> datetime:
        """The start of the hour holding ``since``: rollups are hourly, so it counts whole."""
        return self.since.replace(minute=0, second=0, microsecond=0)


def parse_range(name: str | None, *, now: datetime | None = None) -> TimeRange:
    """The range called ``name``; an unknown or missing name gives the default (24 hours)."""
    chosen = name if name in RANGES else DEFAULT_RANGE
    until = now or datetime.now(UTC)
    span = RANGES[chosen]
    bucket: Bucket = "day" if span > timedelta(days=7) else "hour"
    return TimeRange(name=chosen, since=until - span, until=until, bucket=bucket)
