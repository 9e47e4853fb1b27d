"""The performance job stores hour and day windows and rescores the ones late labels change."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from predledger.feedback.schemas import FeedbackCreate
from predledger.feedback.service import record_feedback
from predledger.metrics.models import PerformanceMetric
from predledger.performance.monitor import PerformanceMonitor, run_performance_job
from predledger.performance.windows import window_containing
from predledger.predictions.models import Prediction
from predledger.registry import register_model_version


def _log(ledger, labels, *, request_prefix="r"):
    ids = ledger.log_many(
        {
            "model": "churn",
            "version": "1",
            "label": label,
            "probability": 0.8 if label == "yes" else 0.2,
            "request_id": f"{request_prefix}{i}",
        }
        for i, label in enumerate(labels)
    )
    assert ledger.flush(30)
    return ids


def _rows(store, **where):
    with store.transaction() as session:
        query = select(PerformanceMetric)
        for column, value in where.items():
            query = query.where(getattr(PerformanceMetric, column) == value)
        return session.scalars(query).all()


def _prediction_times(store):
    with store.transaction() as session:
        return list(session.scalars(select(Prediction.created_at)))


def test_the_job_stores_hour_and_day_windows(store, ledger):
    register_model_version(
        store,
        name="churn",
        version="1",
        classes=["no", "yes"],
        stage="production",
        dataset_version="d7",
    )
    ids = _log(ledger, ["yes", "no", "yes", "no"])
    with store.transaction() as session:
        record_feedback(session, [FeedbackCreate(prediction_id=i, actual="yes") for i in ids])

    result = run_performance_job(store)

    hours = {window_containing(at, "hour") for at in _prediction_times(store)}
    days = {window_containing(at, "day") for at in _prediction_times(store)}
    assert result.windows == len(hours) + len(days)
    assert result.versions == ["churn:1"]
    accuracy = _rows(store, metric_name="accuracy")
    assert {(row.labels["window"], row.window_start) for row in accuracy} == {
        (w.granularity, w.start) for w in hours | days
    }
    assert all(row.kind == "realized" for row in accuracy)
    assert all((row.stage, row.dataset_version) == ("production", "d7") for row in accuracy)
    if len(days) == 1:
        [daily] = [row for row in accuracy if row.labels["window"] == "day"]
        assert daily.value == pytest.approx(0.5)

    rows_before = len(_rows(store))
    assert run_performance_job(store).rows_written == rows_before
    assert len(_rows(store)) == rows_before, "a second pass replaces, never duplicates"


def test_labels_arriving_days_later_rescore_their_old_window(store, ledger):
    register_model_version(store, name="churn", version="1", classes=["no", "yes"])
    _log(ledger, ["yes", "yes", "no", "no"])
    monitor = PerformanceMonitor(store, granularities=("day",))
    first = monitor.run_once()
    assert first.windows >= 1
    assert _rows(store, metric_name="accuracy") == []

    # Three days on, the predictions are outside the lookback, and their labels arrive.
    with store.transaction() as session:
        outcome = record_feedback(
            session,
            [FeedbackCreate(request_id=f"r{i}", actual="yes") for i in range(4)]
            + [FeedbackCreate(request_id="nobody", actual="yes")],
        )
    assert [u.request_id for u in outcome.unknown] == ["nobody"]
    later = datetime.now(UTC) + timedelta(days=3)
    assert run_performance_job(store, now=later).windows == 0, "nothing in the lookback"

    second = monitor.run_once(now=later)
    assert second.windows >= 1
    accuracy = _rows(store, metric_name="accuracy")
    assert sum(row.value * _count(store, row) for row in accuracy) == pytest.approx(2)


def _count(store, accuracy_row):
    [count] = _rows(
        store,
        metric_name="count",
        window_start=accuracy_row.window_start,
        window_end=accuracy_row.window_end,
    )
    return count.value


def test_the_monitor_runs_on_its_own_thread(store, ledger):
    _log(ledger, ["yes", "no"])
    monitor = PerformanceMonitor(store, interval=3600)
    done = threading.Event()
    original = monitor.run_once

    def run_once(now=None):
        result = original(now)
        done.set()
        return result

    monitor.run_once = run_once
    monitor.start()
    assert done.wait(60)
    monitor.stop()
    assert monitor.last_result is not None
    assert monitor.last_result.versions == ["churn:1"]
