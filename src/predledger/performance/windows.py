"""Time windows that performance is computed over: UTC hours, UTC days, or one custom range."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from predledger.errors import InvalidRecordError

Granularity = Literal["hour", "day", "custom"]
GRANULARITIES: Final[tuple[Granularity, ...]] = ("hour", "day", "custom")
MAX_WINDOWS: Final = 1000
_STEP: Final = {"hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True, order=True)
class Window:
    """A half-open interval ``[start, end)`` of prediction times.

    Attributes:
        start: first instant included (aware, UTC).
        end: first instant excluded.
        granularity: ``"hour"`` and ``"day"`` windows are aligned on UTC; ``"custom"`` is any.
    """

    start: datetime
    end: datetime
    granularity: Granularity


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def window_containing(moment: datetime, granularity: Granularity) -> Window:
    """The aligned hour or day that contains ``moment``."""
    if granularity == "custom":
        raise InvalidRecordError("window", "a custom window has no alignment: give since and until")
    moment = as_utc(moment)
    start = moment.replace(minute=0, second=0, microsecond=0)
    if granularity == "day":
        start = start.replace(hour=0)
    return Window(start, start + _STEP[granularity], granularity)


def windows_between(since: datetime, until: datetime, granularity: Granularity) -> list[Window]:
    """The windows covering ``[since, until)``: aligned hours or days, or the range itself.

    Raises:
        InvalidRecordError: the range is empty, or spans more than ``MAX_WINDOWS`` windows.
    """
    since, until = as_utc(since), as_utc(until)
    if until <= since:
        raise InvalidRecordError("until", f"must be after since ({since.isoformat()})")
    if granularity == "custom":
        return [Window(since, until, "custom")]
    if granularity not in _STEP:
        raise InvalidRecordError("window", f"must be one of {', '.join(GRANULARITIES)}")
    first = window_containing(since, granularity)
    count = -(-(until - first.start) // _STEP[granularity])
    if count > MAX_WINDOWS:
        raise InvalidRecordError(
            "since",
            f"the range holds {count} {granularity} windows, more than {MAX_WINDOWS}: "
            "shorten it or use a coarser window",
        )
    step = _STEP[granularity]
    return [
        Window(first.start + i * step, first.start + (i + 1) * step, granularity)
        for i in range(count)
    ]


def windows_containing(moments: Iterable[datetime], granularity: Granularity) -> set[Window]:
    """The aligned windows that hold any of ``moments``."""
    return {window_containing(moment, granularity) for moment in moments}
