"""Estimated accuracy before labels lands within 0.03 of the accuracy labels later reveal.

Everything goes through the database: the version is registered with a labelled reference,
predictions are logged by the ledger, the performance job stores estimated rows, labels are
sent as feedback, and the job stores realised rows beside them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from predledger.feedback.schemas import FeedbackCreate
from predledger.feedback.service import record_feedback
from predledger.metrics.queries import performance_metric_series
from predledger.performance.monitor import PerformanceMonitor
from predledger.registry import ReferenceDataset, find_estimator, register_model_version

WEIGHTS = np.array([1.5, -1.0, 0.5])


def _sample(rng, n, *, shift=0.0):
    features = rng.normal(size=(n, 3)) + shift
    probability = 1.0 / (1.0 + np.exp(-(features @ WEIGHTS - 0.3)))
    return features, np.where(rng.random(n) < probability, "yes", "no")


def _reference_frame(model, features, labels):
    frame = pd.DataFrame(features, columns=["f0", "f1", "f2"])
    probabilities = model.predict_proba(features)
    frame["p_no"], frame["p_yes"] = probabilities[:, 0], probabilities[:, 1]
    frame["churned"] = labels
    return frame


def _in_busiest_window(store, metric, kind):
    """The metric's value in the day window with the most predictions (one, unless the test
    runs across midnight UTC)."""
    with store.transaction() as session:
        counts = performance_metric_series(
            session, metric_name="estimated_count", model_name="churn", window="day"
        )
        series = performance_metric_series(
            session, metric_name=metric, model_name="churn", kind=kind, window="day"
        )
    busiest = max(counts, key=lambda point: point.value).window_start
    [value] = [point.value for point in series if point.window_start == busiest]
    return value


def test_estimated_accuracy_tracks_realised_accuracy_under_shift(store, ledger, tmp_path):
    rng = np.random.default_rng(2024)
    model = LogisticRegression().fit(*_sample(rng, 5000))
    reference = _reference_frame(model, *_sample(rng, 20000))
    reference.to_parquet(tmp_path / "reference.parquet")
    register_model_version(
        store,
        name="churn",
        version="1",
        algorithm="LogisticRegression",
        feature_names=["f0", "f1", "f2"],
        stage="production",
        reference=ReferenceDataset(
            tmp_path / "reference.parquet",
            target="churned",
            probabilities={"no": "p_no", "yes": "p_yes"},
        ),
    )
    with store.transaction() as session:
        estimator = find_estimator(session, "churn", "1")
    assert estimator is not None
    assert estimator.classes == ("no", "yes")

    features, labels = _sample(rng, 8000, shift=np.array([1.0, -1.0, 0.0]))
    probabilities = model.predict_proba(features)
    predicted = model.predict(features)
    ids = ledger.log_many(
        {
            "model": "churn",
            "version": "1",
            "inputs": dict(zip(["f0", "f1", "f2"], row, strict=True)),
            "label": label,
            "probabilities": {"no": p[0], "yes": p[1]},
        }
        for row, label, p in zip(features.tolist(), predicted, probabilities.tolist(), strict=True)
    )
    assert ledger.flush(60)
    monitor = PerformanceMonitor(store, granularities=("day",))
    day_later = datetime.now(UTC) + timedelta(minutes=1)

    monitor.run_once(now=day_later)
    estimated = _in_busiest_window(store, "estimated_accuracy", "estimated")
    with store.transaction() as session:
        assert performance_metric_series(session, metric_name="accuracy", model_name="churn") == []

    with store.transaction() as session:
        record_feedback(
            session,
            [FeedbackCreate(prediction_id=i, actual=a) for i, a in zip(ids, labels, strict=True)],
        )
    monitor.run_once(now=day_later + timedelta(minutes=1))
    realized = _in_busiest_window(store, "accuracy", "realized")

    reference_predicted = model.predict(reference[["f0", "f1", "f2"]].to_numpy())
    reference_accuracy = float(np.mean(reference_predicted == reference["churned"].to_numpy()))
    assert abs(realized - reference_accuracy) > 0.05, "the shift must move accuracy"
    assert estimated == pytest.approx(realized, abs=0.03)
    assert _in_busiest_window(store, "estimated_accuracy", "estimated") == estimated
