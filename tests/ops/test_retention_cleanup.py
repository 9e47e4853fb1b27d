"""Retention removes exactly the rows older than the cutoff, while a ledger keeps logging."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ops_records import BackgroundLogger, prediction_at, request_at, write_records
from sqlalchemy import func, insert, select

from predledger.errors import ConfigurationError, SchemaOutdatedError
from predledger.ingest.ledger import Ledger
from predledger.ops.events import last_events
from predledger.ops.partitions import create_partitions, list_partitions
from predledger.ops.retention import RetentionPolicy, apply_retention, cleanup, parse_age
from predledger.store import migrate
from predledger.store.engine import Store
from predledger.store.schema import metadata

from support.db_checks import query

NOW = datetime.now(UTC).replace(microsecond=0)
# Mid-day, so one day's partition is cut in two and the DEFAULT partition holds rows too.
CUTOFF_AGE = timedelta(days=30, hours=5, minutes=17, seconds=3, microseconds=1234)


def _old_rows(rng: random.Random) -> tuple[list[dict], list[dict]]:
    predictions, requests = [], []
    for _ in range(600):
        age = timedelta(seconds=rng.uniform(20 * 86400, 40 * 86400))
        predictions.append(prediction_at(NOW - age, rng))
        if rng.random() < 0.3:
            requests.append(request_at(NOW - age, rng))
    # rows straddling the cutoff by a microsecond
    cutoff = NOW - CUTOFF_AGE
    for delta in (-2, -1, 0, 1, 2):
        predictions.append(prediction_at(cutoff + timedelta(microseconds=delta), rng))
    return predictions, requests


def _ids(url: str, table: str) -> set[str]:
    return {str(row["id"]) for row in query(url, f"SELECT id FROM {table}")}


def _older(records: list[dict], cutoff: datetime) -> set[str]:
    limit = (cutoff - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return {r["id"] for r in records if r["ts"] < limit}


def test_cleanup_under_ingest_removes_exactly_the_older_rows(
    database_url: str, journal_dir: Path
) -> None:
    rng = random.Random(7)
    store = Store(database_url)
    migrate.upgrade(store)
    predictions, requests = _old_rows(rng)
    cutoff = NOW - CUTOFF_AGE
    # PostgreSQL: days 40..28 ago get their partitions; older rows wait in DEFAULT.
    create_partitions(store, [(NOW - timedelta(days=d)).date() for d in range(28, 41)])
    write_records(store, predictions + requests)
    rollups_before = query(database_url, "SELECT SUM(count) AS n FROM prediction_rollups")

    with Ledger(database_url, journal_dir=journal_dir) as ledger:
        logger = BackgroundLogger(ledger)
        logger.start()
        logger.wait_until_written()
        report = apply_retention(
            store,
            RetentionPolicy.uniform(CUTOFF_AGE, ["predictions", "api_requests"]),
            now=NOW,
            batch_size=40,
        )
        logger.stop()
        assert ledger.flush(30)

    gone_predictions = _older(predictions, cutoff)
    gone_requests = _older(requests, cutoff)
    kept = {r["id"] for r in predictions} - gone_predictions
    assert _ids(database_url, "predictions") == kept | set(logger.ids)
    kept_requests = {r["id"] for r in requests} - gone_requests
    assert _ids(database_url, "api_requests") == kept_requests | set(logger.request_ids)
    removed = {t.table: t.rows for t in report.tables}
    assert removed == {"predictions": len(gone_predictions), "api_requests": len(gone_requests)}
    # rollups outlive the raw rows: the old hours are still counted
    rollups_after = query(database_url, "SELECT SUM(count) AS n FROM prediction_rollups")
    assert rollups_after[0]["n"] == rollups_before[0]["n"] + len(logger.ids)
    assert last_events(store)["cleanup"].details["total_rows"] == report.total_rows

    if store.dialect == "postgresql":
        dropped = {name for t in report.tables for name in t.partitions_dropped}
        expected_days = [(NOW - timedelta(days=d)).date() for d in range(31, 41)]
        assert {f"predictions_p{day:%Y%m%d}" for day in expected_days} <= dropped
        with store.engine.connect() as connection:
            left = {p.name for p in list_partitions(connection, "predictions")}
        assert not dropped & left
    store.dispose()


def test_dry_run_counts_and_removes_nothing(database_url: str) -> None:
    rng = random.Random(3)
    store = Store(database_url)
    migrate.upgrade(store)
    predictions, requests = _old_rows(rng)
    write_records(store, predictions + requests)
    report = cleanup(store, CUTOFF_AGE, dry_run=True, now=NOW)
    counts = {t.table: t.rows for t in report.tables}
    assert counts["predictions"] == len(_older(predictions, NOW - CUTOFF_AGE))
    assert counts["api_requests"] == len(_older(requests, NOW - CUTOFF_AGE))
    assert len(_ids(database_url, "predictions")) == len(predictions)
    assert "cleanup" not in last_events(store)
    store.dispose()


def test_rollups_can_have_their_own_longer_retention(sqlite_url: str) -> None:
    rng = random.Random(5)
    store = Store(sqlite_url)
    migrate.upgrade(store)
    write_records(store, [prediction_at(NOW - timedelta(days=d), rng) for d in (5, 50, 500)])
    policy = RetentionPolicy.parse("predictions=30d, prediction_rollups=400d")
    report = apply_retention(store, policy, now=NOW)
    assert {t.table: t.rows for t in report.tables} == {"predictions": 2, "prediction_rollups": 1}
    hours = query(sqlite_url, "SELECT SUM(count) AS n FROM prediction_rollups")
    assert hours[0]["n"] == 2
    store.dispose()


def test_bad_policies_name_the_fix() -> None:
    with pytest.raises(ConfigurationError, match="such as 30d"):
        parse_age("30 days")
    with pytest.raises(ConfigurationError, match="keep rollups at least as long"):
        RetentionPolicy.parse("predictions=30d,prediction_rollups=7d")
    with pytest.raises(ConfigurationError, match="use predictions"):
        RetentionPolicy.parse("model_versions=30d")
    with pytest.raises(ConfigurationError, match="table=age"):
        RetentionPolicy.parse("predictions")
    assert RetentionPolicy.from_env({}).max_age == {}
    assert RetentionPolicy.parse("recommended").max_age["predictions"] == timedelta(days=30)


def test_cleanup_refuses_an_outdated_schema(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    migrate.upgrade(store, "0002")
    with pytest.raises(SchemaOutdatedError, match="predledger db upgrade"):
        cleanup(store, timedelta(days=1))
    store.dispose()


def test_the_recommended_policy_prunes_drift_histograms_and_reports(database_url: str) -> None:
    store = Store(database_url)
    migrate.upgrade(store)
    histograms = metadata.tables["feature_histograms"]
    reports = metadata.tables["drift_reports"]
    report = {
        "model_name": "m", "model_version": "1", "mode": "histogram", "reference_size": 10,
        "current_size": 10, "drift_detected": False, "drift_score": 0.0, "drift_share": 0.0,
        "n_features": 1, "n_drifted": 0, "drifted_features": [], "features": [],
    }  # fmt: skip
    with store.transaction() as session:
        session.execute(insert(histograms), [
            {"model_name": "m", "model_version": "1", "hour": NOW - timedelta(days=age),
             "feature": "x", "bin": 0, "count": 3}
            for age in (5, 200)
        ])  # fmt: skip
        session.execute(insert(reports), [
            {**report, "window_start": NOW - timedelta(days=age, hours=1),
             "window_end": NOW - timedelta(days=age), "created_at": NOW - timedelta(days=age)}
            for age in (5, 500)
        ])  # fmt: skip

    removed = apply_retention(store, RetentionPolicy.parse("recommended"), now=NOW)

    counts = {t.table: t.rows for t in removed.tables}
    assert counts["feature_histograms"] == 1
    assert counts["drift_reports"] == 1
    with store.transaction() as session:
        assert session.scalar(select(func.min(histograms.c.hour))) > NOW - timedelta(days=90)
        assert session.scalar(select(func.count()).select_from(reports)) == 1
    store.dispose()
