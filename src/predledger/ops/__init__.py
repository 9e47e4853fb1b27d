"""Operations on the database: backup and restore, retention, partitions, export, status.

    backup_database(store, out)            a consistent copy, taken while ingestion runs
    verify_backup(path)                    checksums and data of a bundle, without a database
    restore_database(store, path)          into an empty database (``force=True`` replaces)
    apply_retention(store, policy)         what a scheduler calls; RetentionPolicy.from_env()
    cleanup(store, older_than)             a one-off retention of the raw-row tables
    ensure_partitions(store)               PostgreSQL: the daily partitions ahead
    export_table(store, out, table=...)    Parquet, CSV or JSON Lines, streamed
    collect_ops_status(store)              sizes, oldest/newest rows, last backup and clean-up

Names resolve on first use: ``predledger.store.schema`` imports this package's models, and
the operations import the schema.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from predledger.ops.backup import BackupResult, backup_database
    from predledger.ops.export import ExportFilters, ExportResult, export_table
    from predledger.ops.partitions import ensure_partitions
    from predledger.ops.restore import RestoreResult, restore_database
    from predledger.ops.retention import (
        RetentionPolicy,
        RetentionReport,
        apply_retention,
        cleanup,
    )
    from predledger.ops.status import collect_ops_status
    from predledger.ops.verify import VerifiedBackup, verify_backup

_HOMES = {
    "BackupResult": "backup",
    "backup_database": "backup",
    "ExportFilters": "export",
    "ExportResult": "export",
    "export_table": "export",
    "ensure_partitions": "partitions",
    "RestoreResult": "restore",
    "restore_database": "restore",
    "RetentionPolicy": "retention",
    "RetentionReport": "retention",
    "apply_retention": "retention",
    "cleanup": "retention",
    "collect_ops_status": "status",
    "VerifiedBackup": "verify",
    "verify_backup": "verify",
}

__all__ = [
    "BackupResult",
    "ExportFilters",
    "ExportResult",
    "RestoreResult",
    "RetentionPolicy",
    "RetentionReport",
    "VerifiedBackup",
    "apply_retention",
    "backup_database",
    "cleanup",
    "collect_ops_status",
    "ensure_partitions",
    "export_table",
    "restore_database",
    "verify_backup",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
