"""Daily partitions of ``predictions`` and ``api_requests`` on PostgreSQL.

Migration 0003 makes both tables range-partitioned by day on ``created_at``, with a
DEFAULT partition that catches any row whose day has no partition yet, so ingest never
fails for want of one. :func:`ensure_partitions` creates the days ahead (the ledger's writer
calls it when it starts, the scheduler daily); retention drops whole days.

A partition is named ``<table>_pYYYYMMDD`` and holds ``[day 00:00 UTC, next day 00:00 UTC)``.
New days are created detached, then attached: attaching locks the parent only in SHARE
UPDATE EXCLUSIVE mode, which lets inserts carry on (``CREATE TABLE ... PARTITION OF`` would
lock them out). Rows that already fell into the DEFAULT partition for that day move into it
in the same transaction. Every DDL statement here runs with a lock timeout, so it gives up
rather than queue behind a long query and stall the writers queued behind it.

SQLite has no partitions: every function here does nothing there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, OperationalError

from predledger.errors import StoreUnavailableError
from predledger.store.engine import Store

PARTITIONED_TABLES = ("predictions", "api_requests")
DEFAULT_DAYS_AHEAD = 7
LOCK_TIMEOUT = "2s"
# pg_advisory_xact_lock key shared by every partition change in the database: two
# processes never create or drop the same day at once.
ADVISORY_LOCK_KEY = 7_260_431_115

_NAME = re.compile(r"^(?P<table>predictions|api_requests)_(?:default|p(?P<day>\d{8}))$")


def is_partition_name(name: str) -> bool:
    """Whether a table name is one of predledger's partitions (not a table of the schema).

    Migrations' autogenerate and schema comparisons skip these.
    """
    return _NAME.match(name) is not None


@dataclass(frozen=True)
class Partition:
    """One partition of a partitioned table.

    Attributes:
        table: the partitioned (parent) table.
        name: the partition's own table name.
        day: the UTC day it holds; ``None`` for the DEFAULT partition.
    """

    table: str
    name: str
    day: date | None

    @property
    def lower(self) -> datetime | None:
        """The first instant the partition holds."""
        return None if self.day is None else day_start(self.day)

    @property
    def upper(self) -> datetime | None:
        """The first instant after the partition."""
        return None if self.day is None else day_start(self.day + timedelta(days=1))


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def partition_name(table: str, day: date) -> str:
    """The name of ``table``'s partition for ``day``."""
    return f"{table}_p{day:%Y%m%d}"


def is_partitioned(connection: Connection, table: str) -> bool:
    """Whether ``table`` (in the connection's search path) is a partitioned table."""
    if connection.dialect.name != "postgresql":
        return False
    kind = connection.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:table)"), {"table": table}
    ).scalar()
    return kind == "p"


def list_partitions(connection: Connection, table: str) -> list[Partition]:
    """The partitions of ``table`` named the way predledger names them, oldest day first."""
    if not is_partitioned(connection, table):
        return []
    names = connection.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(:table)"
        ),
        {"table": table},
    ).scalars()
    partitions = []
    for name in names:
        match = _NAME.match(name)
        if match is None or match["table"] != table:
            continue
        day = match["day"]
        parsed = datetime.strptime(day, "%Y%m%d").date() if day else None
        partitions.append(Partition(table, name, parsed))
    return sorted(partitions, key=lambda p: (p.day is None, p.day or date.min))


def ensure_partitions(
    store: Store, days_ahead: int = DEFAULT_DAYS_AHEAD, *, now: datetime | None = None
) -> list[str]:
    """Create the daily partitions from yesterday to ``days_ahead`` days from now.

    Safe to call from many processes at once and as often as wanted; a day that exists is
    left alone. Returns the names of the partitions created (none on SQLite).

    Raises:
        StoreUnavailableError: the database cannot be reached.
    """
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    days = [today + timedelta(days=n) for n in range(-1, days_ahead + 1)]
    return create_partitions(store, days)


def create_partitions(store: Store, days: Iterable[date]) -> list[str]:
    """Create the partitions of the given days in every partitioned table.

    Each day is its own short transaction. Rows of that day waiting in the DEFAULT
    partition move into the new one.
    """
    if store.dialect != "postgresql":
        return []
    wanted = sorted(set(days))
    created = []
    for table in PARTITIONED_TABLES:
        with store.engine.connect() as connection:
            existing = {p.day for p in list_partitions(connection, table)}
            partitioned = is_partitioned(connection, table)
        if not partitioned:
            continue
        for day in wanted:
            if day not in existing and _create_day_unless_busy(store, table, day):
                created.append(partition_name(table, day))
    return created


def _create_day_unless_busy(store: Store, table: str, day: date) -> bool:
    try:
        return _create_day(store, table, day)
    except OperationalError as exc:
        if _is_lock_timeout(exc):
            return False  # a long query holds the table: the next call makes the day
        raise StoreUnavailableError(store.unavailable_message(exc)) from exc


def _create_day(store: Store, table: str, day: date) -> bool:
    name = partition_name(table, day)
    lower, upper = day_start(day).isoformat(), day_start(day + timedelta(days=1)).isoformat()
    bounds = f"FROM ('{lower}') TO ('{upper}')"
    in_day = f"created_at >= '{lower}' AND created_at < '{upper}'"
    with store.engine.begin() as connection:
        _lock_partitions(connection)
        if connection.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None:
            return False  # another process made it while we waited for the lock
        connection.exec_driver_sql(
            f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        # The CHECK lets ATTACH skip scanning the new table for rows outside its bounds.
        connection.exec_driver_sql(f"ALTER TABLE {name} ADD CONSTRAINT {name}_day CHECK ({in_day})")
        connection.exec_driver_sql(f"LOCK TABLE {table}_default IN ACCESS EXCLUSIVE MODE")
        connection.exec_driver_sql(
            f"WITH moved AS (DELETE FROM {table}_default WHERE {in_day} RETURNING *)"
            f" INSERT INTO {name} SELECT * FROM moved"
        )
        connection.exec_driver_sql(
            f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES {bounds}"
        )
        connection.exec_driver_sql(f"ALTER TABLE {name} DROP CONSTRAINT {name}_day")
    return True


def drop_partition(store: Store, partition: Partition, *, attempts: int = 3) -> int | None:
    """Drop a day's partition and return how many rows it held.

    Dropping locks the parent table for a moment; with a lock timeout it waits at most
    ``LOCK_TIMEOUT`` for running queries, ``attempts`` times. Returns ``None`` when the
    lock was never granted (the caller deletes the rows in batches instead).
    """
    if partition.day is None:
        raise ValueError("the DEFAULT partition is never dropped")
    for _attempt in range(attempts):
        try:
            with store.engine.begin() as connection:
                _lock_partitions(connection)
                rows = int(
                    connection.exec_driver_sql(
                        f"SELECT count(*) FROM {partition.name}"
                    ).scalar_one()
                )
                connection.exec_driver_sql(f"DROP TABLE {partition.name}")
                return rows
        except OperationalError as exc:
            if not _is_lock_timeout(exc):
                raise
    return None


def _lock_partitions(connection: Connection) -> None:
    connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})


def _is_lock_timeout(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == "55P03"


def prepare_partitions(store: Store) -> str | None:
    """:func:`ensure_partitions` for a writer starting up: never raises.

    The DEFAULT partition takes the rows of a day without its own partition, so a failure
    here (say, a role without CREATE) costs only retention speed; it is returned as text
    for the caller to report, never raised into the write path.
    """
    if store.dialect != "postgresql":
        return None
    try:
        ensure_partitions(store)
    except Exception as exc:  # the write path must not fail for this
        return f"cannot create the daily partitions ahead: {exc}".splitlines()[0]
    return None
