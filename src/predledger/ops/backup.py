"""Backups: a consistent copy of the database, taken while ingestion goes on.

- SQLite: the online backup API copies every page in one step inside one read
  transaction; in WAL mode writers carry on meanwhile.
- PostgreSQL: a REPEATABLE READ transaction exports its snapshot; the row counts of the
  manifest are taken in it, and ``pg_dump --snapshot`` dumps exactly the same data (or,
  without ``pg_dump``, every table is copied out as COPY text in that same transaction).

The result is one tar bundle (see ``predledger.ops.manifest``) holding the data, the files
of uploaded datasets and a manifest with row counts and checksums.
"""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection, text

from predledger.datasets.storage import dataset_file, resolve_data_dir
from predledger.errors import BackupError
from predledger.ops import pgio
from predledger.ops.catalog import sqlite_path, stored_tables
from predledger.ops.events import record_event
from predledger.ops.manifest import (
    DATASETS_DIR,
    DUMP_MEMBER,
    SQLITE_MEMBER,
    TABLES_DIR,
    Manifest,
    TableEntry,
    write_bundle,
)
from predledger.ops.partitions import PARTITIONED_TABLES, list_partitions
from predledger.store.engine import Store
from predledger.store.schema import metadata

Method = Literal["auto", "pg_dump", "logical"]


@dataclass(frozen=True)
class BackupResult:
    """A finished backup."""

    path: Path
    manifest: Manifest
    bytes: int
    missing_dataset_files: tuple[str, ...] = ()


def default_backup_path(store: Store, now: datetime | None = None) -> Path:
    """``backups/predledger-<backend>-<UTC time>.tar`` in the current folder."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return Path("backups") / f"predledger-{store.dialect}-{stamp}.tar"


def backup_database(
    store: Store,
    out: str | PathLike[str] | None = None,
    *,
    method: Method = "auto",
    data_dir: str | PathLike[str] | None = None,
) -> BackupResult:
    """Back the database up into one tar bundle; ingestion may go on meanwhile.

    Args:
        store: the database.
        out: the bundle to write (default: see :func:`default_backup_path`).
        method: PostgreSQL only: ``pg_dump`` (``auto`` when installed) or ``logical``.
        data_dir: where uploaded dataset files live (default: the data folder).

    Raises:
        BackupError: the copy failed; the message says why.
        StoreUnavailableError: the database cannot be reached.
    """
    started = datetime.now(UTC)
    target = Path(out) if out is not None else default_backup_path(store, started)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".predledger-backup-") as tmp:
        if store.dialect == "sqlite":
            manifest, members, files = _snapshot_sqlite(store, Path(tmp))
        else:
            manifest, members, files = _snapshot_postgres(store, Path(tmp), method)
        manifest.created_at = started.isoformat()
        folder = resolve_data_dir(data_dir)
        missing = tuple(name for name in files if not dataset_file(folder, name).is_file())
        for name in files:
            if name not in missing:
                members[DATASETS_DIR + name] = dataset_file(folder, name)
        write_bundle(target, manifest, members)
    size = target.stat().st_size
    record_event(
        store, kind="backup", started_at=started,
        summary=f"{manifest.total_rows:,} rows to {target} ({manifest.method})",
        details={"path": str(target.resolve()), "method": manifest.method, "bytes": size,
                 "rows": manifest.total_rows, "schema_revision": manifest.schema_revision},
    )  # fmt: skip
    return BackupResult(target, manifest, size, missing)


def _new_manifest(store: Store, method: str) -> Manifest:
    from predledger import __version__

    return Manifest(
        backend=store.dialect, method=method, source=store.describe(), created_at="",
        schema_revision=None, predledger_version=__version__,
    )  # fmt: skip


def _snapshot_sqlite(store: Store, tmp: Path) -> tuple[Manifest, dict[str, Path], list[str]]:
    source = sqlite_path(store)
    if not source.is_file():
        raise BackupError(f"the SQLite file {str(source)!r} does not exist: nothing to back up")
    copy = tmp / SQLITE_MEMBER
    reader = sqlite3.connect(source, timeout=30)
    writer = sqlite3.connect(copy)
    try:
        reader.backup(writer)  # pages=-1: one step, so one consistent snapshot
        writer.execute("PRAGMA journal_mode = DELETE")
        manifest = _new_manifest(store, "sqlite-backup")
        _describe_sqlite_copy(writer, manifest)
        files = _dataset_files_sqlite(writer, manifest)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy {source}: {exc}") from exc
    finally:
        writer.close()
        reader.close()
    return manifest, {SQLITE_MEMBER: copy}, files


def _describe_sqlite_copy(copy: sqlite3.Connection, manifest: Manifest) -> None:
    verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        raise BackupError(
            f"the copy fails SQLite's integrity check ({verdict}): the source is damaged"
        )
    names = [
        row[0]
        for row in copy.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    for name in sorted(names):
        rows = copy.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        manifest.tables[name] = TableEntry(rows=int(rows))
    if "alembic_version" in names:
        row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
        manifest.schema_revision = row[0] if row else None


def _dataset_files_sqlite(copy: sqlite3.Connection, manifest: Manifest) -> list[str]:
    if "datasets" not in manifest.tables:
        return []
    return [row[0] for row in copy.execute("SELECT file_name FROM datasets")]


def _snapshot_postgres(
    store: Store, tmp: Path, method: Method
) -> tuple[Manifest, dict[str, Path], list[str]]:
    if method == "auto":
        method = "pg_dump" if pgio.pg_tool("pg_dump") else "logical"
    with store.engine.connect() as plain:
        connection = plain.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
            manifest = _new_manifest(store, method)
            manifest.pg_schema = schema
            tables = _backup_tables(connection)
            _describe_postgres(connection, manifest, tables)
            files = _dataset_files(connection, tables)
            if method == "pg_dump":
                members = {DUMP_MEMBER: tmp / DUMP_MEMBER}
                relations = tables + [
                    p.name for t in PARTITIONED_TABLES for p in list_partitions(connection, t)
                ]
                pgio.run_pg_dump(
                    store.url, snapshot=snapshot, out=members[DUMP_MEMBER],
                    relations=[f"{schema}.{name}" for name in relations],
                )  # fmt: skip
            else:
                members = _copy_out_tables(connection, manifest, tables, tmp)
    return manifest, members, files


def _backup_tables(connection: Connection) -> list[str]:
    """Predledger's tables that exist, the migration stamp first, then in foreign-key order."""
    present = set(stored_tables(connection))
    ordered = ["alembic_version"] + [t.name for t in metadata.sorted_tables]
    return [name for name in ordered if name in present]


def _describe_postgres(connection: Connection, manifest: Manifest, tables: list[str]) -> None:
    for name in tables:
        rows = connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
        manifest.tables[name] = TableEntry(rows=int(rows))
    if "alembic_version" in tables:
        manifest.schema_revision = connection.execute(
            text("SELECT version_num FROM alembic_version")
        ).scalar()
    for table in PARTITIONED_TABLES:
        days = [p.day.isoformat() for p in list_partitions(connection, table) if p.day]
        if days:
            manifest.partitions[table] = days


def _dataset_files(connection: Connection, tables: list[str]) -> list[str]:
    if "datasets" not in tables:
        return []
    return list(connection.execute(text("SELECT file_name FROM datasets")).scalars())


def _copy_out_tables(
    connection: Connection, manifest: Manifest, tables: list[str], tmp: Path
) -> dict[str, Path]:
    raw = connection.connection.driver_connection
    members = {}
    for name in tables:
        path = tmp / f"{name}.copy.gz"
        rows, columns = pgio.copy_out(raw, name, path)
        manifest.tables[name] = TableEntry(rows=rows, columns=columns)
        members[f"{TABLES_DIR}{name}.copy.gz"] = path
    return members
