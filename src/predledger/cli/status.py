"""``predledger status``: what the database holds and how the schema stands."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import func, select, text

from predledger.cli.db import DatabaseUrl
from predledger.cli.output import console, friendly_errors
from predledger.config import resolve_journal_dir
from predledger.ingest.journal import SEGMENT_SUFFIX
from predledger.ops.status import collect_ops_status
from predledger.store import migrate
from predledger.store.engine import Store
from predledger.store.schema import metadata


def collect_status(store: Store) -> dict[str, Any]:
    """Backend, schema revision, row counts per table and database size."""
    revision = migrate.current_revision(store)
    head = migrate.head_revision()
    counts: dict[str, int] = {}
    with store.engine.connect() as connection:
        existing = set(store.engine.dialect.get_table_names(connection))
        for table in sorted(metadata.tables.values(), key=lambda t: t.name):
            if table.name in existing:
                counts[table.name] = connection.execute(
                    select(func.count()).select_from(table)
                ).scalar_one()
        size = _database_size(store, connection)
    return {
        "database": store.describe(),
        "backend": store.dialect,
        "schema_revision": revision,
        "schema_head": head,
        "schema_current": revision == head,
        "database_bytes": size,
        "rows": counts,
    }


def _database_size(store: Store, connection: Any) -> int | None:
    if store.dialect == "postgresql":
        return int(
            connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        )
    database = store.url.database
    if not database or database == ":memory:":
        return None
    return sum(
        os.path.getsize(path)
        for path in (database, f"{database}-wal", f"{database}-shm")
        if os.path.exists(path)
    )


def collect_journal(store: Store, journal_dir: Path | None) -> dict[str, Any]:
    """What waits in this database's journal folder: records not yet known to be written.

    The counters of a running ledger live in its process (``GET /metrics``, ``/readyz``);
    from outside, the journal on disk shows what is pending for every process at once.
    """
    folder = resolve_journal_dir(journal_dir, store.url)
    segments = sorted(folder.glob(f"*{SEGMENT_SUFFIX}")) if folder.is_dir() else []
    rejected_file = folder / "rejected.jsonl"
    rejected = 0
    if rejected_file.is_file():
        with open(rejected_file, "rb") as handle:
            rejected = sum(1 for _ in handle)
    return {
        "directory": str(folder),
        "segments": len(segments),
        "bytes": sum(_bytes_on_disk(path) for path in segments),
        "rejected_records": rejected,
    }


def _bytes_on_disk(path: Path) -> int:
    """A segment's size; a live one is a sparse file of fixed size, so count its blocks."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return 0
    return min(info.st_size, info.st_blocks * 512)


@friendly_errors
def status(
    database_url: DatabaseUrl = None,
    journal_dir: Annotated[
        Path | None,
        typer.Option(
            envvar="PREDLEDGER_JOURNAL_DIR",
            help="Journal folder (default .predledger/journal).",
            show_default=False,
        ),
    ] = None,
    redis_url: Annotated[
        str | None,
        typer.Option(
            envvar="PREDLEDGER_REDIS_URL",
            help="The Redis server of the shared ingest stream: also show its backlog.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Show the backend, schema revision, row counts, database size and the journal."""
    store = Store(database_url)
    info = collect_status(store)
    info["journal"] = collect_journal(store, journal_dir)
    info["operations"] = collect_ops_status(store, info["rows"])
    store.dispose()
    if redis_url:
        info["stream"] = collect_stream(redis_url)
    if as_json:
        console.print_json(json.dumps(info))
        return
    state = "current" if info["schema_current"] else "behind: run `predledger db upgrade`"
    console.print(f"[bold]{info['database']}[/] ({info['backend']})")
    console.print(f"schema: {info['schema_revision'] or 'empty'} ({state})")
    if info["database_bytes"] is not None:
        console.print(f"size: {info['database_bytes'] / 1_048_576:.1f} MiB")
    print_tables(info["rows"], info["operations"])
    journal = info["journal"]
    console.print(
        f"journal: {journal['segments']} segment(s), {journal['bytes']:,} bytes not yet "
        f"deleted, {journal['rejected_records']} rejected record(s) in {journal['directory']}",
        highlight=False,
    )
    for kind in ("backup", "cleanup"):
        event = info["operations"][f"last_{kind}"]
        when = f"{event['finished_at'][:19]} UTC: {event['summary']}" if event else "never"
        console.print(f"last {kind}: {when}", highlight=False)
    if "stream" in info:
        console.print(describe_stream(info["stream"]), highlight=False)


def collect_stream(redis_url: str) -> dict[str, Any]:
    """The ingest stream's status, or ``{"error": ...}`` when Redis does not answer."""
    from predledger.ingest.stream_redis import StreamUnavailableError
    from predledger.worker.status import stream_status

    try:
        return stream_status(redis_url)
    except StreamUnavailableError as exc:
        return {"error": str(exc)}


def describe_stream(stream: dict[str, Any]) -> str:
    """One line on the stream: what waits for the writers, or why it is unknown."""
    if "error" in stream:
        return f"stream: unknown: {stream['error']}"
    oldest = stream["oldest_pending_seconds"]
    age = "" if oldest is None else f", oldest pending {oldest:.0f} s"
    return (
        f"stream: {stream['stream']} on {stream['redis']}: {stream['backlog']:,} entries not "
        f"yet written ({stream['pending']:,} pending{age}), {stream['consumers']} writer(s)"
    )


def print_tables(rows: dict[str, int], operations: dict[str, Any]) -> None:
    """Rows, size and the oldest and newest row of every table."""
    estimate = " (estimated)" if operations["size_method"] == "estimate" else ""
    table = Table("table", "rows", f"size{estimate}", "oldest (UTC)", "newest (UTC)")
    for name, count in rows.items():
        extra = operations["tables"].get(name, {})
        size = extra.get("bytes")
        table.add_row(
            name, f"{count:,}", "-" if size is None else _mib(size),
            _day_time(extra.get("oldest")), _day_time(extra.get("newest")),
        )  # fmt: skip
    console.print(table)


def _mib(size: int) -> str:
    return f"{size / 1_048_576:.1f} MiB" if size >= 104_858 else f"{size / 1024:.0f} KiB"


def _day_time(value: str | None) -> str:
    return "-" if value is None else value[:19].replace("T", " ")
