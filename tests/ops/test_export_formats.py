"""Exports round-trip: what Parquet, CSV and JSON Lines files hold is what the table holds."""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ops_records import prediction_at, request_at, write_records

from predledger.errors import ConfigurationError
from predledger.ops.export import ExportFilters, count_rows, export_table
from predledger.store import migrate
from predledger.store.engine import Store
from predledger.store.schema import metadata

NOW = datetime.now(UTC).replace(microsecond=0)


def _rows(store: Store, table: str = "predictions") -> dict[str, dict]:
    source = metadata.tables[table]
    with store.engine.connect() as connection:
        return {str(r.id): dict(r._mapping) for r in connection.execute(source.select())}


@pytest.fixture
def filled(database_url: str) -> Store:
    store = Store(database_url)
    migrate.upgrade(store)
    rng = random.Random(4)
    records = []
    for i in range(250):
        moment = NOW - timedelta(hours=i)
        model = "churn" if i % 3 else "fraud"
        fields = {"inputs": {"x": i, "text": "tab\there \"quoted\"\nnew line", "nested": [1, 2]},
                  "probabilities": {"stay": 0.25, "leave": 0.75}, "model": model,
                  "version": str(i % 2), "cache_hit": i % 4 == 0}  # fmt: skip
        if i % 7 == 0:
            fields.update(label=None, value=1.5 * i, interval_low=0.0, interval_high=9.0)
        records.append(prediction_at(moment, rng, **fields))
    records += [request_at(NOW - timedelta(minutes=i), rng) for i in range(30)]
    write_records(store, records)
    yield store
    store.dispose()


def test_parquet_round_trip_keeps_values_and_types(filled: Store, tmp_path: Path) -> None:
    pages = []
    result = export_table(filled, tmp_path / "p.parquet", page_size=37, progress=pages.append)
    assert result.rows == 250
    assert pages == [37] * 6 + [28]
    table = pq.read_table(result.path)
    assert table.schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("score").type == pa.float64()
    assert table.schema.field("cache_hit").type == pa.bool_()
    assert table.schema.field("inputs").type == pa.string()
    stored = _rows(filled)
    read = table.to_pylist()
    assert [r["created_at"] for r in read] == sorted(r["created_at"] for r in read)
    for row in read:
        expected = stored[row["id"]]
        for column, value in row.items():
            if column in ("inputs", "probabilities", "feature_names"):
                value = None if value is None else json.loads(value)
            assert value == expected[column], column


def test_csv_and_jsonl_hold_the_same_rows(filled: Store, tmp_path: Path) -> None:
    stored = _rows(filled)
    csv_file = export_table(filled, tmp_path / "p.csv").path
    with open(csv_file, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["id"] for r in rows} == set(stored)
    sample = rows[0]
    assert json.loads(sample["inputs"]) == stored[sample["id"]]["inputs"]
    assert datetime.fromisoformat(sample["created_at"]) == stored[sample["id"]]["created_at"]

    jsonl = export_table(filled, tmp_path / "r.jsonl", table="api_requests").path
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert {line["id"] for line in lines} == set(_rows(filled, "api_requests"))
    assert all(line["created_at"].endswith("+00:00") for line in lines)


def test_filters_select_by_time_model_and_version(filled: Store, tmp_path: Path) -> None:
    filters = ExportFilters(
        since=NOW - timedelta(hours=100), until=NOW - timedelta(hours=10), model="churn",
        version="1",
    )  # fmt: skip
    expected = {
        key for key, row in _rows(filled).items()
        if NOW - timedelta(hours=100) <= row["created_at"] < NOW - timedelta(hours=10)
        and row["model_name"] == "churn" and row["model_version"] == "1"
    }  # fmt: skip
    result = export_table(filled, tmp_path / "f.jsonl", filters=filters, page_size=10)
    got = {json.loads(line)["id"] for line in result.path.read_text().splitlines()}
    assert got == expected
    assert count_rows(filled, "predictions", filters) == len(expected)


def test_bad_requests_name_the_fix(filled: Store, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="--format parquet, csv or jsonl"):
        export_table(filled, tmp_path / "out.xlsx")
    with pytest.raises(ConfigurationError, match="without --model"):
        export_table(
            filled, tmp_path / "r.csv", table="api_requests", filters=ExportFilters(model="m")
        )
    with pytest.raises(ConfigurationError, match="no table 'nope'"):
        export_table(filled, tmp_path / "x.csv", table="nope")
    assert not list(tmp_path.glob("*.partial"))
