"""Every operation the seed systems' database layers offered, done with predledger's names.

The README's "Registry, ground truth and performance" section maps each seed name to these.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from predledger import Ledger
from predledger.feedback.schemas import FeedbackCreate
from predledger.feedback.service import record_feedback
from predledger.metrics.queries import performance_metric_series
from predledger.metrics.schemas import PerformanceMetricCreate
from predledger.metrics.service import record_performance_metric
from predledger.predictions.queries import get_prediction
from predledger.registry import (
    get_active_version,
    list_model_versions,
    log_prediction,
    promote_model_version,
    recent_predictions,
    register_model_version,
)


@pytest.fixture
def ledger(store):
    ledger = Ledger(store.url.render_as_string(hide_password=False), durability="memory")
    yield ledger
    ledger.close()


def _create(store, version, **extra):
    # crud.create_model_version(db, model_name=..., version=..., algorithm=..., ...)
    return register_model_version(
        store,
        name="heart_disease_rf",
        version=version,
        algorithm="RandomForest",
        metrics={"accuracy": 0.85, "f1": 0.83},
        hyperparameters={"n_estimators": 100},
        feature_names=["age", "sex", "chol"],
        model_path=f"/models/{version}.pkl",
        metadata_path=f"/models/{version}.yaml",
        training_samples=1000,
        **extra,
    )


def test_create_get_active_set_active_and_list_versions(store):
    first = _create(store, "1.0.0", stage="staging")
    second = _create(store, "1.1.0", stage="staging")

    # crud.set_model_active(db, model_id=...)
    promote_model_version(store, first.name, first.version)
    with store.transaction() as session:
        # crud.get_active_model(db)
        assert get_active_version(session, "heart_disease_rf").id == first.id
    promote_model_version(store, second.name, second.version)

    with store.transaction() as session:
        assert get_active_version(session, "heart_disease_rf").id == second.id
        # crud.get_model_versions(db, model_name=..., limit=10)
        versions = list_model_versions(session, name="heart_disease_rf", limit=10)
    assert [(v.version, v.is_active) for v in versions] == [("1.1.0", True), ("1.0.0", False)]


def test_log_by_model_id_read_recent_and_attach_the_actual_outcome(store, ledger):
    version = _create(store, "1.0.0", stage="production")
    # crud.create_prediction(db, model_id=..., features=..., prediction=1, probability=0.87, ...)
    prediction_id = log_prediction(
        ledger,
        version.id,
        inputs={"age": 55, "sex": 1, "chol": 240},
        label=1,
        probability=0.87,
        latency_ms=12.5,
    )
    other_id = log_prediction(ledger, version.id, inputs={"age": 40}, label=0, probability=0.2)
    assert ledger.flush(30)

    with store.transaction() as session:
        # crud.get_recent_predictions(db, model_id=..., hours=24)
        recent = recent_predictions(session, model_version_id=version.id, hours=24)
        later = recent_predictions(
            session, name="heart_disease_rf", hours=1, now=datetime.now(UTC) + timedelta(hours=2)
        )
    assert [p.id for p in recent] == [other_id, prediction_id]
    assert (recent[1].label, recent[1].probability, recent[1].latency_ms) == ("1", 0.87, 12.5)
    assert recent[1].model_version == "1.0.0"
    assert later == []

    with store.transaction() as session:
        # crud.update_prediction_actual(db, prediction_id=..., actual=1)
        record_feedback(session, [FeedbackCreate(prediction_id=prediction_id, actual=1)])
    with store.transaction() as session:
        stored = get_prediction(session, prediction_id)
    assert stored.feedback is not None
    assert stored.feedback.actual_label == "1"


def test_record_a_performance_metric_and_read_its_time_series(store, ledger):
    _create(store, "1.0.0", stage="production")
    # crud.create_performance_metric(db, metric_name=..., metric_value=..., model_id=...)
    ledger.log_metric(
        "api_latency",
        25.3,
        kind="performance",
        model="heart_disease_rf",
        version="1.0.0",
        labels={"endpoint": "/predict"},
    )
    assert ledger.flush(30)
    week_ago = datetime.now(UTC) - timedelta(days=6)
    with store.transaction() as session:
        # The same, synchronously in the caller's transaction.
        record_performance_metric(
            session,
            PerformanceMetricCreate(
                model_name="heart_disease_rf",
                model_version="1.0.0",
                metric_name="api_latency",
                value=31.0,
                window_start=week_ago,
                window_end=week_ago + timedelta(hours=1),
            ),
        )
        record_performance_metric(
            session,
            PerformanceMetricCreate(
                model_name="heart_disease_rf",
                model_version="1.0.0",
                metric_name="api_latency",
                value=99.0,
                window_start=week_ago - timedelta(days=3),
                window_end=week_ago - timedelta(days=3) + timedelta(hours=1),
            ),
        )
    with store.transaction() as session:
        # crud.get_metrics_timeseries(db, metric_name=..., days=7)
        series = performance_metric_series(session, metric_name="api_latency", days=7)
    assert [point.value for point in series] == [31.0, 25.3]
    assert series[1].labels == {"endpoint": "/predict"}
