"""What ``predledger status`` adds about operations: sizes, row ages, last backup and clean-up.

Sizes count each table with its indexes (and, on PostgreSQL, its partitions and TOAST):
``pg_total_relation_size`` over ``pg_partition_tree``; on SQLite the ``dbstat`` table when
the library has it, else the file's size shared out by row counts (marked as an estimate).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from predledger.ops.catalog import TIMED_TABLES, stored_tables
from predledger.ops.events import OpsEventPublic, last_events
from predledger.store.engine import Store
from predledger.store.schema import metadata


def collect_ops_status(store: Store, row_counts: dict[str, int] | None = None) -> dict[str, Any]:
    """Sizes per table, oldest and newest rows, the last backup and the last clean-up.

    Args:
        store: the database.
        row_counts: rows per table when the caller has counted them (for SQLite estimates).
    """
    with store.engine.connect() as connection:
        tables = stored_tables(connection)
        if store.dialect == "postgresql":
            sizes, method = _postgres_sizes(connection, tables), "pg_total_relation_size"
        else:
            sizes, method = _sqlite_sizes(connection, tables, row_counts)
        ages = {name: _age_range(connection, name) for name in tables if name in TIMED_TABLES}
    events = last_events(store)
    return {
        "size_method": method,
        "tables": {
            name: {"bytes": sizes.get(name), **ages.get(name, {})}
            for name in tables
            if name in metadata.tables
        },
        "last_backup": _event(events.get("backup")),
        "last_cleanup": _event(events.get("cleanup")),
        "last_restore": _event(events.get("restore")),
    }


def _event(event: OpsEventPublic | None) -> dict[str, Any] | None:
    if event is None:
        return None
    return {
        "status": event.status,
        "finished_at": event.finished_at.isoformat(),
        "summary": event.summary,
        "details": event.details,
    }


def _postgres_sizes(connection: Connection, tables: list[str]) -> dict[str, int]:
    sizes = {}
    for name in tables:
        sizes[name] = int(
            connection.execute(
                text(
                    "SELECT COALESCE(SUM(pg_total_relation_size(relid)), 0)"
                    " FROM pg_partition_tree(to_regclass(:name))"
                ),
                {"name": name},
            ).scalar_one()
        )
    return sizes


def _sqlite_sizes(
    connection: Connection, tables: list[str], row_counts: dict[str, int] | None
) -> tuple[dict[str, int], str]:
    owners: dict[str, str] = {
        str(name): str(table)
        for name, table in connection.execute(text("SELECT name, tbl_name FROM sqlite_master"))
    }
    try:
        pages = connection.execute(text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))
    except OperationalError:  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
        return _sqlite_estimate(connection, tables, row_counts), "estimate"
    sizes: dict[str, int] = {}
    for name, size in pages:
        owner = owners.get(str(name), str(name))
        sizes[owner] = sizes.get(owner, 0) + int(size)
    return {name: sizes.get(name, 0) for name in tables}, "dbstat"


def _sqlite_estimate(
    connection: Connection, tables: list[str], row_counts: dict[str, int] | None
) -> dict[str, int]:
    page_size = int(connection.execute(text("PRAGMA page_size")).scalar_one())
    page_count = int(connection.execute(text("PRAGMA page_count")).scalar_one())
    counts = row_counts or {
        name: int(connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
        for name in tables
    }
    total = sum(counts.get(name, 0) for name in tables) or 1
    return {name: page_size * page_count * counts.get(name, 0) // total for name in tables}


def _age_range(connection: Connection, name: str) -> dict[str, str | None]:
    table = TIMED_TABLES[name]
    column = table.time_column
    if table.uuid7_ids:  # the primary key's index is in time order; no scan
        sql = f"SELECT {column} FROM {name} ORDER BY id {{}} LIMIT 1"
        oldest = connection.execute(text(sql.format("ASC"))).scalar()
        newest = connection.execute(text(sql.format("DESC"))).scalar()
    else:
        row = connection.execute(text(f"SELECT MIN({column}), MAX({column}) FROM {name}")).one()
        oldest, newest = row[0], row[1]
    return {"oldest": _iso(oldest), "newest": _iso(newest)}


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite's stored text: naive UTC
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return str(value)
