"""Stored realised metrics equal scikit-learn's over the same predictions and labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)

from predledger.feedback.schemas import FeedbackCreate
from predledger.feedback.service import record_feedback
from predledger.metrics.queries import performance_metric_series
from predledger.performance.service import record_model_performance
from predledger.registry import register_model_version


def _label(store, ids, actuals):
    with store.transaction() as session:
        record_feedback(
            session,
            [FeedbackCreate(prediction_id=i, actual=a) for i, a in zip(ids, actuals, strict=True)],
        )


def _stored(store, name, kind="realized"):
    """The latest stored value of each metric of a model, by metric name."""
    with store.transaction() as session:
        from sqlalchemy import select

        from predledger.metrics.models import PerformanceMetric

        rows = session.scalars(
            select(PerformanceMetric).where(
                PerformanceMetric.model_name == name, PerformanceMetric.kind == kind
            )
        ).all()
        return {row.metric_name: row.value for row in rows}


def _score_now(store, name):
    now = datetime.now(UTC)
    return record_model_performance(
        store,
        name=name,
        granularity="custom",
        since=now - timedelta(hours=1),
        until=now + timedelta(seconds=1),
    )


def test_multiclass_metrics_match_scikit_learn(store, ledger):
    rng = np.random.default_rng(7)
    classes = ["a", "b", "c"]
    register_model_version(store, name="iris", version="1", classes=classes, stage="production")
    n = 600
    probabilities = rng.dirichlet([2, 2, 2], size=n)
    predicted = np.array(classes)[probabilities.argmax(axis=1)]
    actual = np.where(rng.random(n) < 0.7, predicted, rng.choice(classes, size=n))
    ids = ledger.log_many(
        {
            "model": "iris",
            "version": "1",
            "label": str(p),
            "probabilities": dict(zip(classes, row, strict=True)),
        }
        for p, row in zip(predicted, probabilities.tolist(), strict=True)
    )
    assert ledger.flush(30)
    # A window is scored over the labelled predictions only: leave some unlabelled.
    labelled = 500
    _label(store, ids[:labelled], actual[:labelled].tolist())

    [result] = _score_now(store, "iris")
    assert (result.predictions, result.labelled) == (n, labelled)
    stored = _stored(store, "iris")
    y, p, proba = actual[:labelled], predicted[:labelled], probabilities[:labelled]
    assert stored["count"] == labelled
    assert stored["accuracy"] == pytest.approx(accuracy_score(y, p))
    assert stored["f1_macro"] == pytest.approx(f1_score(y, p, average="macro"))
    assert stored["precision_macro"] == pytest.approx(precision_score(y, p, average="macro"))
    assert stored["recall_macro"] == pytest.approx(recall_score(y, p, average="macro"))
    assert stored["log_loss"] == pytest.approx(log_loss(y, proba, labels=classes))
    per_class_f1 = f1_score(y, p, average=None, labels=classes)
    for label, value in zip(classes, per_class_f1, strict=True):
        assert stored[f"f1[class={label}]"] == pytest.approx(value)


def test_binary_metrics_from_the_positive_probability_match_scikit_learn(store, ledger):
    rng = np.random.default_rng(8)
    register_model_version(store, name="churn", version="2", classes=["0", "1"])
    n = 400
    score = rng.random(n)
    predicted = (score > 0.5).astype(int)
    actual = (rng.random(n) < score).astype(int)
    ids = ledger.log_many(
        {"model": "churn", "version": "2", "label": int(p), "probability": float(s)}
        for p, s in zip(predicted, score, strict=True)
    )
    assert ledger.flush(30)
    _label(store, ids, actual.tolist())

    _score_now(store, "churn")
    stored = _stored(store, "churn")
    assert stored["accuracy"] == pytest.approx(accuracy_score(actual, predicted))
    assert stored["f1[class=1]"] == pytest.approx(f1_score(actual, predicted))
    assert stored["roc_auc"] == pytest.approx(roc_auc_score(actual, score))
    assert stored["log_loss"] == pytest.approx(log_loss(actual, score))


def test_regression_metrics_match_scikit_learn(store, ledger):
    rng = np.random.default_rng(9)
    n = 300
    actual = rng.normal(100, 20, size=n)
    predicted = actual + rng.normal(0, 5, size=n)
    ids = ledger.log_many(
        {"model": "price", "version": "1", "value": float(v), "request_id": f"r{i}"}
        for i, v in enumerate(predicted)
    )
    assert ledger.flush(30)
    with store.transaction() as session:
        outcome = record_feedback(
            session,
            [FeedbackCreate(request_id=f"r{i}", actual=float(a)) for i, a in enumerate(actual)],
        )
    assert outcome.recorded == n
    assert len(ids) == n

    [result] = _score_now(store, "price")
    assert result.task == "regression"
    stored = _stored(store, "price")
    assert stored["mae"] == pytest.approx(mean_absolute_error(actual, predicted))
    assert stored["rmse"] == pytest.approx(root_mean_squared_error(actual, predicted))
    assert stored["r2"] == pytest.approx(r2_score(actual, predicted))
    assert stored["mape"] == pytest.approx(mean_absolute_percentage_error(actual, predicted))
    with store.transaction() as session:
        series = performance_metric_series(session, metric_name="rmse", model_name="price", days=1)
    assert [point.value for point in series] == [stored["rmse"]]
    assert series[0].labels == {"window": "custom"}


def test_scoring_a_window_again_replaces_its_rows(store, ledger):
    ids = ledger.log_many(
        {"model": "m", "version": "1", "label": label} for label in ["x", "y", "x", "y"]
    )
    assert ledger.flush(30)
    now = datetime.now(UTC)
    window = {"name": "m", "granularity": "custom", "since": now - timedelta(hours=1)}
    until = now + timedelta(seconds=1)
    _label(store, ids, ["x", "y", "y", "y"])
    record_model_performance(store, until=until, **window)
    assert _stored(store, "m")["accuracy"] == pytest.approx(0.75)
    _label(store, ids[2:3], ["x"])  # a corrected label replaces the first one
    record_model_performance(store, until=until, **window)
    with store.transaction() as session:
        series = performance_metric_series(session, metric_name="accuracy", model_name="m")
    assert [point.value for point in series] == [1.0]
