"""Checking backups: a bundle on its own (``predledger backup --verify``) and a restore."""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from sqlalchemy import text

from predledger.errors import BackupError
from predledger.ops import pgio
from predledger.ops.manifest import (
    DUMP_MEMBER,
    SQLITE_MEMBER,
    TABLES_DIR,
    Manifest,
    check_members,
    extract_member,
    open_bundle,
)
from predledger.store.engine import Store


@dataclass(frozen=True)
class VerifiedBackup:
    """A bundle that passed every check."""

    path: Path
    manifest: Manifest
    checks: tuple[str, ...]


def verify_backup(path: str | PathLike[str]) -> VerifiedBackup:
    """Check a bundle without a database: checksums, then the data itself.

    SQLite: the copy passes ``PRAGMA integrity_check`` and holds the rows the manifest
    counts. ``pg_dump``: ``pg_restore`` reads its table of contents. Logical: each table's
    file holds as many rows as the manifest counts.

    Raises:
        BackupError: naming the first check that failed.
    """
    source = Path(path)
    where = repr(str(source))
    bundle, manifest = open_bundle(source)
    checks = [f"{len(manifest.files)} files match their SHA-256 checksums"]
    with bundle, tempfile.TemporaryDirectory(prefix="predledger-verify-") as tmp:
        check_members(bundle, manifest, where=where)
        if manifest.method == "sqlite-backup":
            copy = extract_member(bundle, SQLITE_MEMBER, Path(tmp) / SQLITE_MEMBER)
            check_sqlite_file(copy)
            _compare(manifest, _sqlite_counts(copy), where)
            checks.append("the SQLite copy passes integrity_check and holds every counted row")
        elif manifest.method == "pg_dump":
            if pgio.list_dump(extract_member(bundle, DUMP_MEMBER, Path(tmp) / DUMP_MEMBER)):
                checks.append("pg_restore reads the dump's table of contents")
            else:
                checks.append("pg_restore is not installed: the dump itself was not read")
        else:
            counts = {}
            for table in manifest.tables:
                member = bundle.extractfile(f"{TABLES_DIR}{table}.copy.gz")
                if member is None:
                    raise BackupError(f"{where} lacks the data of {table}")
                counts[table] = sum(1 for _line in pgio.gzip_lines(member))
            _compare(manifest, counts, where)
            checks.append("every table's file holds the rows the manifest counts")
    return VerifiedBackup(source, manifest, tuple(checks))


def check_sqlite_file(path: Path) -> None:
    """Run SQLite's integrity and foreign-key checks on a database file.

    Raises:
        BackupError: either check found a problem.
    """
    connection = sqlite3.connect(path)
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
        orphans = connection.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        connection.close()
    if verdict != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {verdict}")
    if orphans:
        raise BackupError(f"{path} has {len(orphans)} rows whose foreign keys point nowhere")


def check_row_counts(store: Store, manifest: Manifest) -> dict[str, int]:
    """Count each table of the manifest in the store; they must match it.

    Raises:
        BackupError: a table is missing or holds another number of rows.
    """
    counts = {}
    with store.engine.connect() as connection:
        for table in manifest.tables:
            counts[table] = int(
                connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            )
    _compare(manifest, counts, f"the restored {store.describe()}")
    return counts


def _sqlite_counts(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
            for name in names
        }
    finally:
        connection.close()


def _compare(manifest: Manifest, counts: dict[str, int], where: str) -> None:
    for table, entry in manifest.tables.items():
        found = counts.get(table)
        if found != entry.rows:
            held = "no such table" if found is None else f"{found:,} rows"
            raise BackupError(
                f"{where}: {table} holds {held} but the manifest counts {entry.rows:,}: "
                "the backup is incomplete or damaged"
            )
