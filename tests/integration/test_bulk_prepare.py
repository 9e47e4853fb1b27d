"""Batches built ahead of their transaction store the same rows, and never skip a dedupe.

The writer process builds the next batch's rows, COPY text and rollups while the database
works on the last (``BulkWriter.prepare``); these tests drive the bulk writer directly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from predledger import Ledger
from predledger.ids import new_id
from predledger.ingest.bulk import BulkWriter, build_bulk_writer
from predledger.store.engine import Store
from predledger.store.migrate import upgrade

from support.db_checks import query, rollups_match_raw_rows, stored_id_counts


@pytest.fixture
def bulk(database_url: str) -> Iterator[BulkWriter]:
    store = Store(database_url)
    upgrade(store)
    writer = build_bulk_writer(store.engine, hooks=[])
    try:
        yield writer
    finally:
        writer.close()
        store.dispose()


def _predictions(count: int, *, label: str = "yes") -> list[dict[str, Any]]:
    records = []
    for i in range(count):
        record_id, micros = new_id()
        records.append(
            {
                "k": "p", "id": record_id, "ts": micros, "model": "m", "version": "1",
                "prediction_type": "features", "status": "success", "label": label,
                "probability": 0.5 + i / (4 * count), "latency_ms": 1.0 + i,
                "inputs": b'{"a":%d}' % i, **({"request_id": f"r{i}"} if i % 2 else {}),
            }
        )  # fmt: skip
    return records


def test_a_prepared_batch_stores_the_same_rows_and_rollups(
    bulk: BulkWriter, database_url: str
) -> None:
    records = _predictions(50)
    bulk.prepare(records)
    assert bulk.write(records) == 50
    plain = _predictions(30, label="no")
    assert bulk.write(plain) == 30  # not prepared: built inside the transaction

    rows = {str(r["id"]): r for r in query(database_url, "SELECT * FROM predictions")}
    assert set(rows) == {r["id"] for r in records + plain}
    assert rows[records[1]["id"]]["request_id"] == "r1"
    assert rows[records[0]["id"]]["request_id"] is None  # a column some records lack
    assert bool(rows[records[0]["id"]]["cache_hit"]) is False
    rollups, raw = rollups_match_raw_rows(database_url)
    assert rollups == raw
    assert sorted(r[2] for r in rollups) == ["no", "yes"]


def test_a_prepared_batch_written_again_with_dedupe_adds_nothing(
    bulk: BulkWriter, database_url: str
) -> None:
    records = _predictions(20)
    assert bulk.write(records) == 20
    bulk.prepare(records)  # the same batch again, as a retry after an unclear commit
    assert bulk.write(records, dedupe=True) == 0
    assert set(stored_id_counts(database_url).values()) == {1}
    rollups, raw = rollups_match_raw_rows(database_url)
    assert rollups == raw
    assert rollups[0][4] == 20  # counted once


def test_a_batch_that_cannot_be_prepared_fails_in_write_as_before(bulk: BulkWriter) -> None:
    broken = _predictions(3)
    del broken[1]["model"]  # a record without a required field
    bulk.prepare(broken)  # says nothing: write() meets the problem and reports it
    with pytest.raises(KeyError):
        bulk.write(broken)


def test_new_sqlite_databases_use_16k_pages_and_old_ones_keep_theirs(
    tmp_path: Path, journal_dir: Path
) -> None:
    new = tmp_path / "new.db"
    with Ledger(f"sqlite:///{new}", journal_dir=journal_dir) as ledger:
        ledger.log(model="m", version="1", inputs={"a": 1})
        assert ledger.flush(30)
    assert sqlite3.connect(new).execute("PRAGMA page_size").fetchone() == (16384,)

    old = tmp_path / "old.db"
    connection = sqlite3.connect(old)
    connection.execute("PRAGMA page_size = 4096")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.close()
    upgrade(Store(f"sqlite:///{old}"))
    with Ledger(f"sqlite:///{old}", journal_dir=tmp_path / "j2") as ledger:
        ids = [ledger.log(model="m", version="1", inputs={"a": i}) for i in range(100)]
        assert ledger.flush(30)
    assert sqlite3.connect(old).execute("PRAGMA page_size").fetchone() == (4096,)
    assert set(stored_id_counts(f"sqlite:///{old}")) == set(ids)
