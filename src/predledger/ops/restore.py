"""Restoring a backup bundle into an empty database, and checking a bundle without one.

A restore checks every file against the manifest first, refuses a database that holds
rows (unless forced), loads the data, and then checks the result: every table holds the
rows the manifest counts, SQLite passes ``PRAGMA integrity_check`` and
``foreign_key_check``, PostgreSQL has no constraint left unvalidated.

SQLite restores page by page through the backup API (a forced restore replaces the whole
file). PostgreSQL gets predledger's schema at the backup's revision through the migrations,
the partitions of every day the source had, then the data through COPY, in one
transaction; a dump of one schema restores into another.
"""

from __future__ import annotations

import sqlite3
import tarfile
import tempfile
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from os import PathLike
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from predledger.datasets.storage import dataset_file, resolve_data_dir
from predledger.errors import BackupError, ConflictError
from predledger.ops import pgio
from predledger.ops.catalog import sqlite_path, stored_tables
from predledger.ops.events import record_event
from predledger.ops.manifest import (
    DATASETS_DIR,
    DUMP_MEMBER,
    SQLITE_MEMBER,
    TABLES_DIR,
    Manifest,
    check_members,
    extract_member,
    open_bundle,
)
from predledger.ops.partitions import create_partitions, ensure_partitions
from predledger.ops.verify import check_row_counts, check_sqlite_file
from predledger.store import migrate
from predledger.store.engine import Store
from predledger.store.schema import metadata


@dataclass(frozen=True)
class RestoreResult:
    """A finished restore."""

    manifest: Manifest
    rows: dict[str, int]
    dataset_files: int


def restore_database(
    store: Store,
    path: str | PathLike[str],
    *,
    force: bool = False,
    data_dir: str | PathLike[str] | None = None,
) -> RestoreResult:
    """Restore a backup bundle into the store's database.

    Stop every writer of the target first. The target must hold no rows, unless ``force``:
    then predledger's tables (SQLite: the whole file) are replaced.

    Raises:
        BackupError: the bundle is damaged, of another backend, or the restore came out
            different from the manifest.
        ConflictError: the target holds rows and ``force`` is off.
    """
    started = datetime.now(UTC)
    source = Path(path)
    bundle, manifest = open_bundle(source)
    with bundle:
        check_members(bundle, manifest, where=repr(str(source)))
        _check_backend(store, manifest, source)
        _refuse_rows(store, force=force)
        if store.dialect == "sqlite":
            _restore_sqlite(store, bundle)
        else:
            _restore_postgres(store, bundle, manifest)
        files = _restore_dataset_files(bundle, manifest, resolve_data_dir(data_dir))
    rows = check_row_counts(store, manifest)
    if store.dialect == "sqlite":
        check_sqlite_file(sqlite_path(store))
    else:
        _check_postgres_constraints(store)
        ensure_partitions(store)
    record_event(
        store, kind="restore", started_at=started,
        summary=f"{manifest.total_rows:,} rows from {source}",
        details={"path": str(source.resolve()), "method": manifest.method,
                 "backup_created_at": manifest.created_at, "rows": manifest.total_rows},
    )  # fmt: skip
    return RestoreResult(manifest, rows, files)


def _check_backend(store: Store, manifest: Manifest, source: Path) -> None:
    if manifest.backend != store.dialect:
        raise BackupError(
            f"{source} is a {manifest.backend} backup and cannot be restored into "
            f"{store.dialect}: restore it into a {manifest.backend} database, or move the data "
            "with `predledger export`"
        )


def _refuse_rows(store: Store, *, force: bool) -> None:
    if force:
        return
    with store.engine.connect() as connection:
        holding = [
            name
            for name in stored_tables(connection)
            if name != "alembic_version"
            and connection.execute(text(f"SELECT 1 FROM {name} LIMIT 1")).first() is not None
        ]
    if holding:
        shown = ", ".join(holding[:3]) + (" ..." if len(holding) > 3 else "")
        raise ConflictError(
            f"{store.describe()} is not empty ({shown} hold rows): restore into an empty "
            "database, or pass --force to replace its contents"
        )


def _restore_sqlite(store: Store, bundle: tarfile.TarFile) -> None:
    target = sqlite_path(store)
    target.parent.mkdir(parents=True, exist_ok=True)
    store.dispose()
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".predledger-restore-") as tmp:
        copy = extract_member(bundle, SQLITE_MEMBER, Path(tmp) / SQLITE_MEMBER)
        reader = sqlite3.connect(copy)
        writer = sqlite3.connect(target, timeout=30)
        try:
            reader.backup(writer)
        except sqlite3.Error as exc:
            raise BackupError(f"cannot write {target}: {exc}") from exc
        finally:
            writer.close()
            reader.close()


def _restore_postgres(store: Store, bundle: tarfile.TarFile, manifest: Manifest) -> None:
    _drop_predledger_tables(store)
    if manifest.schema_revision is not None:
        known = {info.revision for info in migrate.history()}
        if manifest.schema_revision not in known:
            raise BackupError(
                f"the backup is at schema revision {manifest.schema_revision}, which this "
                "predledger does not know: restore it with a newer predledger"
            )
        migrate.upgrade(store, manifest.schema_revision)
    days = {date.fromisoformat(day) for days in manifest.partitions.values() for day in days}
    create_partitions(store, days)
    with (
        tempfile.TemporaryDirectory(prefix="predledger-restore-") as tmp,
        store.engine.begin() as connection,
    ):
        raw = connection.connection.driver_connection
        if manifest.method == "pg_dump":
            dump = extract_member(bundle, DUMP_MEMBER, Path(tmp) / DUMP_MEMBER)
            for table, columns, lines in pgio.dump_copy_blocks(dump):
                _load(raw, table, columns, lines)
        else:
            for table, entry in manifest.tables.items():
                member = bundle.extractfile(f"{TABLES_DIR}{table}.copy.gz")
                if member is None or entry.columns is None:
                    raise BackupError(f"the backup lacks the data of {table}")
                _load(raw, table, entry.columns, pgio.gzip_lines(member))
        _reset_sequences(connection)


def _load(raw: Any, table: str, columns: list[str], lines: Iterable[bytes]) -> None:
    if table == "alembic_version":
        deque(lines, maxlen=0)  # the migrations stamped it already
        return
    if table not in metadata.tables:
        raise BackupError(
            f"the backup holds a table {table!r} this predledger does not know: restore it "
            "with the predledger version that wrote it"
        )
    pgio.copy_in(raw, table, columns, lines)


def _drop_predledger_tables(store: Store) -> None:
    """Drop predledger's tables (their partitions go with them); leave any other table."""
    names = ["alembic_version", *(t.name for t in reversed(metadata.sorted_tables))]
    with store.engine.begin() as connection:
        for name in names:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name} CASCADE")


def _reset_sequences(connection: Connection) -> None:
    """Point each serial key's sequence past the restored rows, as the source's was."""
    for table in metadata.sorted_tables:
        if table.autoincrement_column is None:
            continue
        column = table.autoincrement_column.name
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column),"
                f" COALESCE(MAX({column}), 1), MAX({column}) IS NOT NULL) FROM {table.name}"
            ),
            {"table": table.name, "column": column},
        )


def _check_postgres_constraints(store: Store) -> None:
    with store.engine.connect() as connection:
        invalid = connection.execute(
            text(
                "SELECT conname FROM pg_constraint"
                " WHERE NOT convalidated AND connamespace = current_schema()::regnamespace"
            )
        ).scalars()
        names = list(invalid)
    if names:
        raise BackupError(f"the restored database has unvalidated constraints: {', '.join(names)}")


def _restore_dataset_files(bundle: tarfile.TarFile, manifest: Manifest, folder: Path) -> int:
    count = 0
    for name in manifest.files:
        if not name.startswith(DATASETS_DIR):
            continue
        file_name = Path(name[len(DATASETS_DIR) :]).name  # never a path outside the folder
        target = dataset_file(folder, file_name)
        target.parent.mkdir(parents=True, exist_ok=True)
        extract_member(bundle, name, target)
        count += 1
    return count
