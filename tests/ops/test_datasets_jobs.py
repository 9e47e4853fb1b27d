"""Datasets keep their file and column statistics; scoring jobs log every prediction once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ops_records import label_by_x
from sqlalchemy import update

from predledger.datasets.queries import get_dataset, list_datasets, load_dataset_frame
from predledger.datasets.service import add_dataset
from predledger.errors import InvalidRecordError, NotFoundError
from predledger.jobs.models import Job
from predledger.jobs.queries import get_job
from predledger.jobs.scorers import register_scorer, unregister_scorer
from predledger.jobs.scoring import run_scoring_job
from predledger.jobs.service import create_job, record_progress, start_job
from predledger.monitor.settings import MonitorSettings
from predledger.monitor.tasks import run_retention
from predledger.registry.reference import read_reference_frame
from predledger.store import migrate
from predledger.store.engine import Store

from support.db_checks import query


@pytest.fixture
def store(database_url: str) -> Store:
    store = Store(database_url)
    migrate.upgrade(store)
    yield store
    store.dispose()


def _frame(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.random(rows),
            "age": rng.integers(18, 90, rows),
            "plan": rng.choice(["free", "pro", "team"], rows),
            "active": rng.random(rows) > 0.3,
        }
    )


def test_a_csv_dataset_keeps_its_file_and_column_statistics(store: Store, tmp_path: Path) -> None:
    frame = _frame(500)
    frame.loc[3, "x"] = np.nan
    source = tmp_path / "customers.csv"
    frame.to_csv(source, index=False)
    data_dir = tmp_path / "data"
    dataset = add_dataset(store, source, name="customers", data_dir=data_dir)

    assert (dataset.row_count, dataset.column_count, dataset.file_format) == (500, 4, "csv")
    columns = {c["name"]: c for c in dataset.columns}
    assert [columns[n]["type"] for n in ("x", "age", "plan", "active")] == [
        "float", "integer", "string", "boolean",
    ]  # fmt: skip
    assert columns["x"]["nulls"] == 1
    assert columns["age"]["min"] == int(frame["age"].min())
    assert columns["age"]["mean"] == pytest.approx(frame["age"].mean())
    assert {value for value, _count in columns["plan"]["top"]} == {"free", "pro", "team"}
    assert (data_dir / "datasets" / dataset.file_name).is_file()

    loaded = load_dataset_frame(store, dataset.id, data_dir=data_dir)
    pd.testing.assert_frame_equal(loaded, frame)
    assert read_reference_frame(loaded) is loaded  # a registry reference as it is
    with store.transaction() as session:
        assert get_dataset(session, dataset.id).sha256 == dataset.sha256
        assert [d.id for d in list_datasets(session)] == [dataset.id]


def test_a_parquet_dataset_keeps_its_types(store: Store, tmp_path: Path) -> None:
    frame = _frame(50)
    frame["seen"] = pd.date_range("2026-01-01", periods=50, freq="h", tz="UTC")
    frame.to_parquet(tmp_path / "d.parquet")
    dataset = add_dataset(store, tmp_path / "d.parquet", name="d", data_dir=tmp_path / "data")
    assert {c["name"]: c["type"] for c in dataset.columns}["seen"] == "datetime"
    loaded = load_dataset_frame(store, dataset.id, data_dir=tmp_path / "data")
    pd.testing.assert_frame_equal(loaded, frame)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("x,age\n0.1,30\n0.2,31\n0.3,abc\n0.4,33\n" + "0.5,40\n" * 20, "row 3, column 'age'"),
        ("x,age\n0.1,30\n0.2,31,extra\n0.3,32\n", "row 2: has 3 fields"),
        ("x,x\n1,2\n", "column 'x': appears twice"),
        ("", "file: is empty"),
    ],
)
def test_bad_rows_are_refused_naming_row_and_column(
    sqlite_url: str, tmp_path: Path, text: str, where: str
) -> None:
    store = Store(sqlite_url)
    migrate.upgrade(store)
    source = tmp_path / "bad.csv"
    source.write_text(text)
    with pytest.raises(InvalidRecordError) as refused:
        add_dataset(store, source, name="bad", data_dir=tmp_path / "data")
    assert where in str(refused.value)
    assert not list((tmp_path / "data").rglob("*.csv"))
    with store.transaction() as session:
        assert list_datasets(session) == []
    store.dispose()


def test_a_100k_row_scoring_job_logs_every_prediction_once(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "big.parquet"
    _frame(100_000, seed=1).to_parquet(source)
    dataset = add_dataset(store, source, name="big", data_dir=tmp_path / "data")
    register_scorer("threshold", label_by_x)
    seen: list[tuple[int, int]] = []
    try:
        job = run_scoring_job(
            store, dataset_id=dataset.id, scorer="threshold", model="churn", version="7",
            data_dir=tmp_path / "data", chunk_size=20_000,
            progress=lambda done, total: seen.append((done, total)),
        )  # fmt: skip
    finally:
        unregister_scorer("threshold")
    assert job.status == "succeeded"
    assert (job.processed_rows, job.total_rows, job.progress) == (100_000, 100_000, 1.0)
    assert job.result["committed"] is True
    assert seen[-1] == (100_000, 100_000)
    assert len(seen) == 5
    stored = query(
        store.describe(),
        "SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids, MIN(prediction_type) AS kind,"
        " MIN(dataset_id) AS dataset, MIN(model_version) AS version FROM predictions"
        " WHERE batch_id = :batch",
        batch=job.batch_id,
    )[0]
    assert stored == {
        "n": 100_000, "ids": 100_000, "kind": "upload", "dataset": dataset.id, "version": "7",
    }  # fmt: skip
    high = query(store.describe(), "SELECT COUNT(*) AS n FROM predictions WHERE label = 'high'")
    assert high[0]["n"] == job.result["labels"]["high"]


def test_a_bad_output_fails_the_job_naming_the_row(sqlite_url: str, tmp_path: Path) -> None:
    store = Store(sqlite_url)
    migrate.upgrade(store)
    frame = _frame(20)
    frame.to_csv(tmp_path / "d.csv", index=False)
    dataset = add_dataset(store, tmp_path / "d.csv", name="d", data_dir=tmp_path / "data")

    def broken(chunk: pd.DataFrame) -> list[dict]:
        return [{"probability": 1.5 if i == 6 else 0.5} for i in range(len(chunk))]

    register_scorer("broken", broken)
    try:
        with pytest.raises(InvalidRecordError, match="row 7, probability: must be between 0 and 1"):
            run_scoring_job(
                store, dataset_id=dataset.id, scorer="broken", model="m", version="1",
                data_dir=tmp_path / "data",
            )  # fmt: skip
    finally:
        unregister_scorer("broken")
    with store.transaction() as session:
        (job,) = [get_job(session, row["id"]) for row in query(sqlite_url, "SELECT id FROM jobs")]
    assert job.status == "failed"
    assert "row 7" in (job.error or "")
    with pytest.raises(NotFoundError, match="register one"):
        run_scoring_job(store, dataset_id=dataset.id, scorer="nope", model="m", version="1")
    store.dispose()


def test_a_demo_model_scores_a_dataset(sqlite_url: str, tmp_path: Path) -> None:
    store = Store(sqlite_url)
    migrate.upgrade(store)
    texts = pd.DataFrame({"text": ["I love it", "This is terrible", "It is a chair"] * 10})
    texts.to_csv(tmp_path / "t.csv", index=False)
    dataset = add_dataset(store, tmp_path / "t.csv", name="t", data_dir=tmp_path / "data")
    job = run_scoring_job(
        store, dataset_id=dataset.id, scorer="demo:sentiment", model="sentiment", version="1",
        data_dir=tmp_path / "data",
    )  # fmt: skip
    assert job.result["labels"] == {"positive": 10, "negative": 10, "neutral": 10}
    store.dispose()


def test_a_job_whose_process_died_is_failed_by_the_monitor(store: Store) -> None:
    with store.transaction(write=True) as session:
        dead = create_job(session, kind="scoring").id
        alive = create_job(session, kind="scoring").id
        start_job(session, dead, total_rows=10)
        start_job(session, alive, total_rows=10)
        record_progress(session, alive, processed_rows=5)
    with store.transaction(write=True) as session:  # its last report, an hour ago
        hour_ago = datetime.now(UTC) - timedelta(hours=1)
        session.execute(update(Job).where(Job.id == dead).values(updated_at=hour_ago))

    assert run_retention(store, MonitorSettings())["stale_jobs"] == 1

    with store.transaction() as session:
        failed, running = get_job(session, dead), get_job(session, alive)
    assert failed.status == "failed"
    assert "no progress for 30 minutes" in (failed.error or "")
    assert running.status == "running"
