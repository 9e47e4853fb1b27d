"""Exporting a table to Parquet, CSV or JSON Lines, streamed in pages with constant memory.

Pages follow the primary key (keyset pagination): each page is one short read, so an
export never holds a long transaction that would stall retention or checkpoints. For
``predictions``, ``api_requests`` and ``system_metrics`` the key is the UUIDv7 id, so pages
come in time order, and ``since``/``until`` become a range of the key's index.

Types: timestamps are UTC (Parquet ``timestamp[us, tz=UTC]``; ISO 8601 with ``+00:00`` in
CSV and JSON Lines). JSON columns (``inputs``, ``probabilities``, ``feature_names``,
``labels``, ...) are JSON text in Parquet and CSV, because their shape varies from row to
row (a mapping of features, a text, a series); JSON Lines embeds them as JSON values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any, Literal, get_args

from sqlalchemy import Column, ColumnElement, Table, func, select, tuple_

from predledger.errors import ConfigurationError
from predledger.ops.catalog import TIMED_TABLES, uuid7_floor
from predledger.ops.events import record_event
from predledger.ops.sinks import Sink, open_sink
from predledger.store.engine import Store
from predledger.store.schema import metadata

ExportFormat = Literal["parquet", "csv", "jsonl"]
FORMATS: tuple[str, ...] = get_args(ExportFormat)
DEFAULT_PAGE = 20_000


@dataclass(frozen=True)
class ExportFilters:
    """Which rows to export; every field is optional.

    Attributes:
        since: at or after (UTC when naive).
        until: before.
        model: only this model (tables with a model column).
        version: only this model version.
    """

    since: datetime | None = None
    until: datetime | None = None
    model: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class ExportResult:
    """A finished export."""

    path: Path
    table: str
    format: str
    rows: int
    bytes: int


def export_format(out: Path, given: str | None) -> ExportFormat:
    """The format asked for, or the one the file's suffix names.

    Raises:
        ConfigurationError: neither names one of parquet, csv, jsonl.
    """
    name = (given or out.suffix.lstrip(".")).lower()
    name = {"pq": "parquet", "ndjson": "jsonl"}.get(name, name)
    if name not in FORMATS:
        raise ConfigurationError(
            f"cannot tell the export format of {str(out)!r}: pass --format parquet, csv or jsonl"
        )
    return name  # type: ignore[return-value]  # checked against FORMATS just above


def export_table(
    store: Store,
    out: str | PathLike[str],
    *,
    table: str = "predictions",
    format: str | None = None,
    filters: ExportFilters | None = None,
    page_size: int = DEFAULT_PAGE,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write a table's rows (optionally filtered) to a Parquet, CSV or JSON Lines file.

    Args:
        store: the database.
        out: the file to write; it appears only once complete.
        table: the table to export.
        format: ``parquet``, ``csv`` or ``jsonl``; default from ``out``'s suffix.
        filters: time range, model and version.
        page_size: rows read (and held in memory) at a time.
        progress: called with the rows of each page written.

    Raises:
        ConfigurationError: an unknown table or format, or a filter the table cannot take.
    """
    started = datetime.now(UTC)
    path = Path(out)
    chosen = export_format(path, format)
    source = _table(table)
    where = _conditions(source, filters or ExportFilters())
    keys = list(source.primary_key.columns)
    if table in TIMED_TABLES and TIMED_TABLES[table].uuid7_ids:
        keys = [source.c.id]  # unique alone, and its index is in time order
    rows = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with open_sink(chosen, partial, source) as sink:
            rows = _copy_pages(store, source, keys, where, sink, page_size, progress)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    size = path.stat().st_size
    record_event(
        store, kind="export", started_at=started,
        summary=f"{rows:,} rows of {table} to {path} ({chosen})",
        details={"path": str(path.resolve()), "table": table, "format": chosen, "rows": rows},
    )  # fmt: skip
    return ExportResult(path, table, chosen, rows, size)


def count_rows(store: Store, table: str, filters: ExportFilters | None = None) -> int:
    """How many rows an export with these filters would write."""
    source = _table(table)
    query = (
        select(func.count())
        .select_from(source)
        .where(*_conditions(source, filters or ExportFilters()))
    )
    with store.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _copy_pages(
    store: Store,
    source: Table,
    keys: list[Column[Any]],
    where: list[ColumnElement[bool]],
    sink: Sink,
    page_size: int,
    progress: Callable[[int], None] | None,
) -> int:
    after: Sequence[Any] | None = None
    total = 0
    while True:
        query = select(*source.columns).where(*where).order_by(*keys).limit(page_size)
        if after is not None:
            query = query.where(_after(keys, after))
        with store.engine.connect() as connection:
            page = connection.execute(query).all()
        if not page:
            return total
        sink.write([tuple(row) for row in page])
        total += len(page)
        if progress is not None:
            progress(len(page))
        last = page[-1]._mapping
        after = [last[key.name] for key in keys]
        if len(page) < page_size:
            return total


def _after(keys: list[Column[Any]], values: Sequence[Any]) -> ColumnElement[bool]:
    if len(keys) == 1:
        first: ColumnElement[bool] = keys[0] > values[0]
        return first
    condition: ColumnElement[bool] = tuple_(*keys) > tuple_(*values)
    return condition


def _table(name: str) -> Table:
    source = metadata.tables.get(name)
    if source is None:
        known = ", ".join(sorted(metadata.tables))
        raise ConfigurationError(f"there is no table {name!r} to export: use one of {known}")
    return source


def _conditions(source: Table, filters: ExportFilters) -> list[ColumnElement[bool]]:
    return _time_conditions(source, filters) + _model_conditions(source, filters)


def _time_conditions(source: Table, filters: ExportFilters) -> list[ColumnElement[bool]]:
    if filters.since is None and filters.until is None:
        return []
    timed = TIMED_TABLES.get(source.name)
    if timed is None:
        raise ConfigurationError(
            f"{source.name} has no time column: export it without --since/--until"
        )
    column = source.c[timed.time_column]
    conditions: list[ColumnElement[bool]] = []
    if filters.since is not None:
        since = _aware(filters.since)
        conditions.append(column >= since)
        if timed.uuid7_ids:  # the same range on the key's index
            conditions.append(source.c.id >= uuid7_floor(since))
    if filters.until is not None:
        until = _aware(filters.until)
        conditions.append(column < until)
        if timed.uuid7_ids:
            conditions.append(source.c.id < uuid7_floor(until))
    return conditions


def _model_conditions(source: Table, filters: ExportFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for value, column_name, option in (
        (filters.model, "model_name", "--model"),
        (filters.version, "model_version", "--version"),
    ):
        if value is None:
            continue
        if column_name not in source.c:
            raise ConfigurationError(
                f"{source.name} has no {column_name} column: export it without {option}"
            )
        conditions.append(source.c[column_name] == value)
    return conditions


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
