"""Grouping rows by slices of time in SQL, the same way on SQLite and PostgreSQL.

A slice is named by its start in whole seconds since the epoch (``extract(epoch)`` on
both backends), so grouping happens in the database and only integers come back: turning
thousands of stored timestamps into ``datetime`` objects costs more than the query.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, cast, extract

HOUR_S = 3600
DAY_S = 86_400


def slice_start(column: Any, width_s: int) -> ColumnElement[int]:
    """The start of the ``width_s``-second slice holding ``column``'s time, in epoch seconds."""
    epoch = cast(extract("epoch", column), BigInteger)
    return (epoch - epoch % width_s).label("slice_start")


def as_datetime(seconds: Any) -> datetime:
    """An epoch second from ``slice_start`` as an aware UTC datetime."""
    return datetime.fromtimestamp(int(seconds), UTC)
