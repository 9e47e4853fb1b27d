"""What operations need to know about each table: its time column and how to walk it by time.

``predictions``, ``api_requests`` and ``system_metrics`` are written only by the ledger's
writers, whose ids are UUIDv7 carrying the row's ``created_at``: ``id < uuid7_floor(t)``
selects exactly the rows older than ``t`` through the primary key's index, where
``created_at`` alone has no index to use. Every query still states the time condition too,
so a row that broke that rule could be missed, never wrongly removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, inspect

from predledger.errors import ConfigurationError
from predledger.ops.partitions import is_partition_name
from predledger.store.engine import Store


@dataclass(frozen=True)
class TimedTable:
    """A table whose rows age.

    Attributes:
        name: the table.
        time_column: the column that says how old a row is.
        uuid7_ids: its ``id`` is a UUIDv7 carrying ``time_column``.
        raw: raw rows (``predledger cleanup`` without ``--table`` prunes these).
        model_columns: whether it has ``model_name`` and ``model_version``.
    """

    name: str
    time_column: str
    uuid7_ids: bool = False
    raw: bool = False
    model_columns: bool = False


TIMED_TABLES: dict[str, TimedTable] = {
    t.name: t
    for t in (
        TimedTable("predictions", "created_at", uuid7_ids=True, raw=True, model_columns=True),
        TimedTable("api_requests", "created_at", uuid7_ids=True, raw=True),
        TimedTable("system_metrics", "created_at", uuid7_ids=True, raw=True),
        TimedTable("feedback", "received_at", raw=True),
        TimedTable("performance_metrics", "created_at", model_columns=True),
        TimedTable("prediction_rollups", "hour", model_columns=True),
        TimedTable("prediction_latency_buckets", "hour", model_columns=True),
        TimedTable("user_sessions", "last_seen"),
        TimedTable("ops_events", "finished_at"),
        TimedTable("jobs", "created_at"),
        TimedTable("datasets", "created_at"),
        TimedTable("feature_histograms", "hour", model_columns=True),
        TimedTable("drift_reports", "created_at", model_columns=True),
    )
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RAW_TABLES = tuple(name for name, t in TIMED_TABLES.items() if t.raw)


def timed_table(name: str) -> TimedTable:
    """The timed table called ``name``.

    Raises:
        ConfigurationError: no such table, with the list of those that exist.
    """
    table = TIMED_TABLES.get(name)
    if table is None:
        known = ", ".join(TIMED_TABLES)
        raise ConfigurationError(f"table {name!r} has no age to prune or export by: use {known}")
    return table


def uuid7_floor(moment: datetime) -> str:
    """The smallest UUIDv7 whose timestamp (as ``predledger.ids`` reads it) is ``moment`` or later.

    A UUIDv7 ``u`` made by ``predledger.ids.new_id`` is older than ``moment`` exactly when
    ``u < uuid7_floor(moment)``, comparing as UUIDs or as their lower-case text.
    """
    ms, rest = divmod(to_micros(moment), 1000)
    # the smallest 12-bit fraction whose microseconds (sub * 1000 // 4096) reach `rest`
    sub = -(-rest * 4096 // 1000)
    value = (ms << 80) | (0x7 << 76) | (sub << 64) | (0b10 << 62)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def stored_tables(connection: Connection) -> list[str]:
    """The tables of the connection's schema, without PostgreSQL's partitions."""
    names = inspect(connection).get_table_names()
    return sorted(name for name in names if not is_partition_name(name))


def sqlite_path(store: Store) -> Path:
    """The file of a SQLite store.

    Raises:
        ConfigurationError: an in-memory database, which has no file to back up or restore.
    """
    database = store.url.database
    if not database or database == ":memory:":
        raise ConfigurationError(
            "an in-memory SQLite database has no file to back up or restore: use a file URL"
        )
    return Path(database)
