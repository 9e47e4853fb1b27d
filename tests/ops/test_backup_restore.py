"""Backups taken while a ledger logs restore into fresh databases that hold every counted row."""

from __future__ import annotations

import random
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ops_records import BackgroundLogger, prediction_at, write_records

from predledger.datasets.queries import load_dataset_frame
from predledger.datasets.service import add_dataset
from predledger.errors import BackupError, ConflictError
from predledger.ingest.ledger import Ledger
from predledger.ops.backup import backup_database
from predledger.ops.events import last_events
from predledger.ops.restore import restore_database
from predledger.ops.verify import verify_backup
from predledger.store import migrate
from predledger.store.engine import Store

from support.db_checks import query


def _ids(url: str, table: str) -> set[str]:
    return {str(row["id"]) for row in query(url, f"SELECT id FROM {table}")}


def _backup_while_logging(url: str, out: Path, journal_dir: Path, method: str = "auto"):
    store = Store(url)
    migrate.upgrade(store)
    rng = random.Random(11)
    old = datetime.now(UTC) - timedelta(days=12)
    write_records(store, [prediction_at(old + timedelta(hours=i), rng) for i in range(50)])
    with Ledger(url, journal_dir=journal_dir) as ledger:
        logger = BackgroundLogger(ledger)
        logger.start()
        logger.wait_until_written()
        result = backup_database(store, out, method=method)  # type: ignore[arg-type]
        logger.stop()
        assert ledger.flush(30)
    return store, result, logger


# SQLite always uses its online backup API; PostgreSQL has pg_dump (auto) and a logical copy.
@pytest.mark.parametrize(
    ("database_url", "method"),
    [("sqlite", "auto"), ("postgresql", "auto"), ("postgresql", "logical")],
    indirect=["database_url"],
)
def test_backup_during_ingest_restores_every_counted_row(
    database_url: str, second_url: str, tmp_path: Path, journal_dir: Path, method: str
) -> None:
    store, result, _logger = _backup_while_logging(
        database_url, tmp_path / "b.tar", journal_dir, method
    )
    manifest = result.manifest
    native = {"sqlite": "sqlite-backup", "postgresql": "pg_dump"}[store.dialect]
    assert manifest.method == ("logical" if method == "logical" else native)
    assert manifest.schema_revision == migrate.head_revision()
    assert manifest.tables["predictions"].rows > 50
    assert last_events(store)["backup"].details["rows"] == manifest.total_rows
    assert verify_backup(result.path).manifest.total_rows == manifest.total_rows

    target = Store(second_url)
    restored = restore_database(target, result.path)
    assert restored.rows == {name: entry.rows for name, entry in manifest.tables.items()}
    # the snapshot is a prefix of what the ledger went on to log, and holds the old rows
    source_ids = _ids(database_url, "predictions")
    restored_ids = _ids(second_url, "predictions")
    assert len(restored_ids) == manifest.tables["predictions"].rows
    assert restored_ids <= source_ids
    assert len(source_ids - restored_ids) == len(source_ids) - len(restored_ids)
    # the restored database takes new rows at once (partitions and sequences are in place)
    with Ledger(second_url, journal_dir=tmp_path / "j2", durability="sync") as ledger:
        ledger.log(model="churn", version="3", label="stay")
    assert len(_ids(second_url, "predictions")) == len(restored_ids) + 1
    assert last_events(target)["restore"].details["rows"] == manifest.total_rows
    store.dispose()
    target.dispose()


def test_restore_refuses_a_database_with_rows_unless_forced(
    database_url: str, second_url: str, tmp_path: Path
) -> None:
    rng = random.Random(2)
    source, target = Store(database_url), Store(second_url)
    for store, n in ((source, 5), (target, 3)):
        migrate.upgrade(store)
        write_records(store, [prediction_at(datetime.now(UTC), rng) for _ in range(n)])
    result = backup_database(source, tmp_path / "b.tar")
    with pytest.raises(ConflictError, match="pass --force"):
        restore_database(target, result.path)
    assert len(_ids(second_url, "predictions")) == 3
    restore_database(target, result.path, force=True)
    assert _ids(second_url, "predictions") == _ids(database_url, "predictions")
    source.dispose()
    target.dispose()


def test_damaged_or_foreign_files_are_refused(sqlite_url: str, tmp_path: Path) -> None:
    store = Store(sqlite_url)
    migrate.upgrade(store)
    write_records(store, [prediction_at(datetime.now(UTC), random.Random(1))])
    result = backup_database(store, tmp_path / "b.tar")
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(result.path) as original, tarfile.open(damaged, "w") as copy:
        for member in original.getmembers():
            data = original.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "database.sqlite":
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            member.size = len(data)
            copy.addfile(member, __import__("io").BytesIO(data))
    with pytest.raises(BackupError, match="does not match its checksum"):
        verify_backup(damaged)
    with pytest.raises(BackupError, match="does not match its checksum"):
        restore_database(Store(f"sqlite:///{tmp_path / 'new.db'}"), damaged)
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    with pytest.raises(BackupError, match="not a predledger backup"):
        verify_backup(not_a_backup)
    store.dispose()


def test_a_backup_restores_only_into_its_own_backend(
    sqlite_url: str, postgres_url: str, tmp_path: Path
) -> None:
    store = Store(sqlite_url)
    migrate.upgrade(store)
    result = backup_database(store, tmp_path / "b.tar")
    target = Store(postgres_url)
    with pytest.raises(BackupError, match="restore it into a sqlite database"):
        restore_database(target, result.path)
    store.dispose()
    target.dispose()


def test_dataset_files_travel_with_the_backup(sqlite_url: str, tmp_path: Path) -> None:
    store = Store(sqlite_url)
    migrate.upgrade(store)
    source = tmp_path / "d.csv"
    source.write_text("x,plan\n0.5,pro\n0.25,free\n")
    dataset = add_dataset(store, source, name="d", data_dir=tmp_path / "data")
    result = backup_database(store, tmp_path / "b.tar", data_dir=tmp_path / "data")
    assert f"datasets/{dataset.file_name}" in result.manifest.files

    target = Store(f"sqlite:///{tmp_path / 'restored.db'}")
    restored = restore_database(target, result.path, data_dir=tmp_path / "elsewhere")
    assert restored.dataset_files == 1
    frame = load_dataset_frame(target, dataset.id, data_dir=tmp_path / "elsewhere")
    assert frame.to_dict("list") == {"x": [0.5, 0.25], "plan": ["pro", "free"]}
    store.dispose()
    target.dispose()
