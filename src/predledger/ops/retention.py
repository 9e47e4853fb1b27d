"""Retention: removing the rows older than each table's maximum age.

A :class:`RetentionPolicy` maps tables to maximum ages. :func:`apply_retention` is what a
scheduler calls (the service does, daily); ``predledger cleanup --older-than 30d`` builds a
one-off policy. On PostgreSQL the days wholly older than the cutoff of ``predictions`` and
``api_requests`` go by dropping their partitions; the rest (the day the cutoff falls in,
the DEFAULT partition, every other table, everything on SQLite) goes in small batches that
never hold a lock for long. Either way exactly the rows older than the cutoff go.

Rollups (``prediction_rollups``, ``prediction_latency_buckets``) are what long-range charts
read, so a policy must keep them at least as long as the predictions they summarise.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from predledger.errors import ConfigurationError, SchemaOutdatedError
from predledger.ops.catalog import RAW_TABLES, TimedTable, timed_table
from predledger.ops.deletion import DEFAULT_BATCH_SIZE, OlderThan, count_older, delete_in_batches
from predledger.ops.events import record_event
from predledger.ops.partitions import Partition, drop_partition, list_partitions
from predledger.store import migrate
from predledger.store.engine import Store

ENV_RETENTION = "PREDLEDGER_RETENTION"
ROLLUP_TABLES = ("prediction_rollups", "prediction_latency_buckets")
RECOMMENDED = (
    "predictions=30d,api_requests=30d,system_metrics=30d,feedback=30d,user_sessions=90d,"
    "performance_metrics=400d,prediction_rollups=400d,prediction_latency_buckets=400d,"
    "feature_histograms=90d,drift_reports=400d"
)
_AGE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

TableProgress = Callable[[str, int], None]


def parse_age(text: str, *, what: str = "--older-than") -> timedelta:
    """Parse an age such as ``30d``, ``12h``, ``90m``, ``2w`` or ``45s``.

    Raises:
        ConfigurationError: the text is not a positive number followed by a unit.
    """
    match = _AGE.match(text)
    if match is None or int(match[1]) <= 0:
        raise ConfigurationError(
            f"{what} {text!r} is not an age: use a positive number and a unit "
            "(s, m, h, d, w), such as 30d, 12h or 90m"
        )
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each table keeps its rows; a table not named keeps them forever.

    Attributes:
        max_age: table name to the age past which its rows go.

    Raises:
        ConfigurationError: a table has no age to prune by, an age is not positive, or the
            rollups would go before the predictions they summarise.
    """

    max_age: Mapping[str, timedelta] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, age in self.max_age.items():
            timed_table(name)
            if age <= timedelta(0):
                raise ConfigurationError(f"the retention of {name} must be positive, got {age}")
        raw_age = self.max_age.get("predictions")
        for rollup in ROLLUP_TABLES:
            kept = self.max_age.get(rollup)
            if raw_age is not None and kept is not None and kept < raw_age:
                raise ConfigurationError(
                    f"{rollup} would be kept {kept.days} days, less than the {raw_age.days} of "
                    f"predictions: keep rollups at least as long, so long-range charts keep "
                    "working after the raw rows go"
                )

    @classmethod
    def parse(cls, text: str) -> RetentionPolicy:
        """Read ``table=age,...`` (``recommended`` for :data:`RECOMMENDED`, ``off`` for none).

        Raises:
            ConfigurationError: an item is not ``table=age``.
        """
        text = text.strip()
        if text.lower() in ("", "off", "none"):
            return cls({})
        if text.lower() == "recommended":
            text = RECOMMENDED
        ages = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, sep, age = item.partition("=")
            if not sep:
                raise ConfigurationError(
                    f"retention item {item!r} is not table=age: write it like predictions=30d"
                )
            ages[name.strip()] = parse_age(age, what=f"the retention of {name.strip()}")
        return cls(ages)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RetentionPolicy:
        """The policy ``PREDLEDGER_RETENTION`` describes; unset keeps everything."""
        return cls.parse((environ if environ is not None else os.environ).get(ENV_RETENTION, ""))

    @classmethod
    def uniform(cls, age: timedelta, tables: Iterable[str] = RAW_TABLES) -> RetentionPolicy:
        """The same maximum age for every table named (default: the raw-row tables)."""
        return cls(dict.fromkeys(tables, age))


@dataclass(frozen=True)
class TableCleanup:
    """What retention removed from one table (or would have, on a dry run)."""

    table: str
    cutoff: datetime
    rows: int
    partitions_dropped: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetentionReport:
    """What one retention run removed, table by table."""

    tables: tuple[TableCleanup, ...]
    dry_run: bool
    started_at: datetime
    finished_at: datetime

    @property
    def total_rows(self) -> int:
        """Rows removed from every table together."""
        return sum(t.rows for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (what ``ops_events`` keeps and ``--json`` prints)."""
        return {
            "dry_run": self.dry_run,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "total_rows": self.total_rows,
            "tables": {
                t.table: {
                    "rows": t.rows,
                    "cutoff": t.cutoff.isoformat(),
                    "partitions_dropped": list(t.partitions_dropped),
                }
                for t in self.tables
            },
        }


def apply_retention(
    store: Store,
    policy: RetentionPolicy,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    pause: float | None = None,
    progress: TableProgress | None = None,
) -> RetentionReport:
    """Remove every row older than its table's maximum age; safe while ingestion runs.

    Args:
        store: the database.
        policy: the maximum age of each table.
        now: the moment ages count from (default: now).
        dry_run: count what would go, remove nothing.
        batch_size: rows per delete transaction.
        pause: seconds between batches (default: see ``delete_in_batches``).
        progress: called with a table name and the rows just removed from it.

    Raises:
        SchemaOutdatedError: the schema is not current: run ``predledger db upgrade``.
        StoreUnavailableError: the database cannot be reached.
    """
    _require_current_schema(store)
    started = datetime.now(UTC)
    moment = (now or started).astimezone(UTC)
    results = []
    for name, age in policy.max_age.items():
        table = timed_table(name)
        tick = (lambda rows, n=name: progress(n, rows)) if progress else None
        results.append(
            _clean_table(
                store, table, moment - age, dry_run=dry_run, batch_size=batch_size,
                pause=pause, progress=tick,
            )
        )  # fmt: skip
    report = RetentionReport(tuple(results), dry_run, started, datetime.now(UTC))
    if not dry_run:
        removed = ", ".join(f"{t.table} {t.rows:,}" for t in report.tables) or "nothing"
        record_event(
            store, kind="cleanup", started_at=started, summary=f"removed {removed}",
            details=report.as_dict(),
        )  # fmt: skip
    return report


def cleanup(
    store: Store,
    older_than: timedelta,
    *,
    tables: Iterable[str] | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: TableProgress | None = None,
) -> RetentionReport:
    """Remove the rows older than ``older_than`` from ``tables`` (default: the raw rows)."""
    policy = RetentionPolicy.uniform(older_than, tables or RAW_TABLES)
    return apply_retention(store, policy, now=now, dry_run=dry_run, progress=progress)


def _clean_table(
    store: Store,
    table: TimedTable,
    cutoff: datetime,
    *,
    dry_run: bool,
    batch_size: int,
    pause: float | None,
    progress: Callable[[int], None] | None,
) -> TableCleanup:
    condition = OlderThan.build(table, cutoff, store.dialect)
    with store.engine.connect() as connection:
        partitions = list_partitions(connection, table.name)
    whole = [p for p in partitions if p.upper is not None and p.upper <= cutoff]
    rest = [p.name for p in partitions if p not in whole and _starts_before(p, cutoff)]
    if not partitions:
        rest = [table.name]
    if dry_run:
        rows = sum(count_older(store, p.name, condition) for p in whole)
        rows += sum(count_older(store, name, condition) for name in rest)
        return TableCleanup(table.name, cutoff, rows, tuple(p.name for p in whole))
    rows, dropped = 0, []
    for partition in whole:
        held = drop_partition(store, partition)
        if held is None:
            rest.append(partition.name)  # the parent stayed busy: delete in batches instead
            continue
        rows += held
        dropped.append(partition.name)
        if progress is not None:
            progress(held)
    for relation in rest:
        rows += delete_in_batches(
            store, relation, condition, batch_size=batch_size, pause=pause, progress=progress
        )
    return TableCleanup(table.name, cutoff, rows, tuple(dropped))


def _starts_before(partition: Partition, cutoff: datetime) -> bool:
    return partition.lower is None or partition.lower < cutoff


def _require_current_schema(store: Store) -> None:
    current, head = migrate.current_revision(store), migrate.head_revision()
    if current != head:
        raise SchemaOutdatedError(
            f"the database {store.describe()} is at schema revision {current or 'none'}, "
            f"predledger needs {head}: run `predledger db upgrade` (or `predledger init`) first"
        )
