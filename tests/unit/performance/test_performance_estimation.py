"""Confidence-based estimates land near the performance that labels later reveal."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from predledger.performance import ConfidenceEstimator

BINARY_WEIGHTS = np.array([1.5, -1.0, 0.5])
MULTICLASS_WEIGHTS = np.array([[1.2, -0.4], [-0.8, 1.0], [0.1, -1.1]])


def _binary_sample(rng, n, *, shift=0.0, scale=1.0):
    features = rng.normal(size=(n, 3)) * scale + shift
    probability = 1.0 / (1.0 + np.exp(-(features @ BINARY_WEIGHTS - 0.3)))
    return features, np.where(rng.random(n) < probability, "yes", "no")


def _multiclass_sample(rng, n, *, shift=0.0):
    features = rng.normal(size=(n, 2)) + shift
    logits = features @ MULTICLASS_WEIGHTS.T
    probability = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    cumulative = probability.cumsum(axis=1)
    drawn = (rng.random((n, 1)) > cumulative).sum(axis=1)
    return features, np.array(["a", "b", "c"])[np.minimum(drawn, 2)]


@pytest.fixture(scope="module")
def binary_problem():
    rng = np.random.default_rng(2024)
    model = LogisticRegression().fit(*_binary_sample(rng, 5000))
    reference_features, reference_labels = _binary_sample(rng, 20000)
    reference_probabilities = model.predict_proba(reference_features)
    return rng, model, reference_labels, reference_probabilities


@pytest.mark.parametrize(
    ("shift", "scale"),
    [
        pytest.param(np.array([1.0, -1.0, 0.0]), 1.0, id="away-from-boundary"),
        pytest.param(0.0, 0.4, id="towards-boundary"),
    ],
)
def test_binary_estimate_tracks_accuracy_under_covariate_shift(binary_problem, shift, scale):
    rng, model, reference_labels, reference_probabilities = binary_problem
    estimator = ConfidenceEstimator.fit(
        reference_labels, reference_probabilities, classes=model.classes_
    )
    features, labels = _binary_sample(rng, 20000, shift=shift, scale=scale)
    predictions = model.predict(features)

    estimate = estimator.estimate(model.predict_proba(features), predictions)

    reference_accuracy = accuracy_score(
        reference_labels, model.classes_[reference_probabilities.argmax(1)]
    )
    realised_accuracy = accuracy_score(labels, predictions)
    assert abs(realised_accuracy - reference_accuracy) > 0.05, "the shift must move accuracy"
    assert estimate.accuracy.value == pytest.approx(realised_accuracy, abs=0.03)
    assert estimate.accuracy.lower <= realised_accuracy <= estimate.accuracy.upper
    [(label, f1)] = estimate.f1_per_class
    assert label == "yes"
    assert f1.value == pytest.approx(f1_score(labels, predictions, pos_label="yes"), abs=0.03)
    assert estimate.f1_macro is None


def test_isotonic_calibration_repairs_overconfident_probabilities(binary_problem):
    rng, model, reference_labels, reference_probabilities = binary_problem

    def overconfident(probabilities):
        cubed = probabilities**3
        return cubed / cubed.sum(axis=1, keepdims=True)

    features, labels = _binary_sample(rng, 20000, scale=0.5)
    probabilities, predictions = (
        overconfident(model.predict_proba(features)),
        model.predict(features),
    )
    realised = accuracy_score(labels, predictions)
    reference = overconfident(reference_probabilities)

    calibrated = ConfidenceEstimator.fit(reference_labels, reference, classes=model.classes_)
    raw = ConfidenceEstimator.fit(
        reference_labels, reference, classes=model.classes_, calibration="never"
    )

    assert calibrated.calibration_maps[1] is not None
    assert raw.estimate(probabilities, predictions).accuracy.value - realised > 0.05
    assert calibrated.estimate(probabilities, predictions).accuracy.value == pytest.approx(
        realised, abs=0.03
    )


def test_standard_error_matches_chunk_to_chunk_spread(binary_problem):
    rng, model, reference_labels, reference_probabilities = binary_problem
    estimator = ConfidenceEstimator.fit(
        reference_labels, reference_probabilities, classes=model.classes_
    )
    features, labels = _binary_sample(rng, 25000, shift=np.array([0.5, 0.0, 0.0]))
    probabilities, predictions = model.predict_proba(features), model.predict(features)

    z_scores = []
    for chunk in np.array_split(np.arange(25000), 100):
        estimate = estimator.estimate(probabilities[chunk], predictions[chunk]).accuracy
        realised = accuracy_score(labels[chunk], predictions[chunk])
        z_scores.append((realised - estimate.value) / estimate.standard_error)

    within_two = np.mean(np.abs(z_scores) <= 2.0)
    within_half = np.mean(np.abs(z_scores) <= 0.5)
    assert within_two >= 0.85, "the standard error is too small"
    assert within_half <= 0.6, "the standard error is too large"


@pytest.fixture(scope="module")
def multiclass_problem():
    rng = np.random.default_rng(99)
    model = LogisticRegression().fit(*_multiclass_sample(rng, 6000))
    reference_features, reference_labels = _multiclass_sample(rng, 20000)
    estimator = ConfidenceEstimator.fit(
        reference_labels, model.predict_proba(reference_features), classes=model.classes_
    )
    reference_accuracy = accuracy_score(reference_labels, model.predict(reference_features))
    return rng, model, estimator, reference_accuracy


def test_multiclass_estimate_tracks_accuracy_and_macro_f1(multiclass_problem):
    rng, model, estimator, reference_accuracy = multiclass_problem
    features, labels = _multiclass_sample(rng, 20000, shift=np.array([0.3, 0.8]))
    predictions = model.predict(features)

    estimate = estimator.estimate(model.predict_proba(features), predictions)

    realised_accuracy = accuracy_score(labels, predictions)
    assert abs(realised_accuracy - reference_accuracy) > 0.03, "the shift must move accuracy"
    assert estimate.accuracy.value == pytest.approx(realised_accuracy, abs=0.05)
    assert estimate.f1_macro.value == pytest.approx(
        f1_score(labels, predictions, average="macro"), abs=0.05
    )
    per_class = dict(estimate.f1_per_class)
    realised_per_class = f1_score(labels, predictions, average=None, labels=["a", "b", "c"])
    assert [per_class[label].value for label in "abc"] == pytest.approx(
        realised_per_class, abs=0.05
    )


def test_calibrated_multiclass_rows_sum_to_one(multiclass_problem):
    rng, model, estimator, _ = multiclass_problem
    features, _ = _multiclass_sample(rng, 500, shift=np.array([-1.0, 2.0]))

    calibrated = estimator.calibrate(model.predict_proba(features))

    assert calibrated.shape == (500, 3)
    assert calibrated.sum(axis=1) == pytest.approx(np.ones(500))
    assert calibrated.min() >= 0.0


def test_estimator_survives_a_json_round_trip(multiclass_problem):
    rng, model, estimator, _ = multiclass_problem
    features, _ = _multiclass_sample(rng, 2000, shift=np.array([0.3, 0.8]))
    probabilities, predictions = model.predict_proba(features), model.predict(features)

    restored = ConfidenceEstimator.from_dict(json.loads(json.dumps(estimator.to_dict())))

    assert restored == estimator
    assert restored.estimate(probabilities, predictions) == estimator.estimate(
        probabilities, predictions
    )


def test_flat_dict_names_the_estimates(multiclass_problem):
    rng, model, estimator, _ = multiclass_problem
    features, _ = _multiclass_sample(rng, 1000)

    flat = estimator.estimate(model.predict_proba(features), model.predict(features)).as_flat_dict()

    assert flat["estimated_count"] == 1000.0
    assert flat["estimated_accuracy_lower"] <= flat["estimated_accuracy"]
    assert flat["estimated_accuracy"] <= flat["estimated_accuracy_upper"]
    assert {"estimated_f1_macro", "estimated_f1_se[class=b]"} <= set(flat)


def test_binary_estimate_accepts_positive_class_probability_alone():
    estimator = ConfidenceEstimator.fit(
        [0, 1, 1, 0], [0.2, 0.9, 0.7, 0.4], classes=[0, 1], calibration="never"
    )

    estimate = estimator.estimate([0.9, 0.2, 0.6], [1, 0, 1])

    assert estimate.accuracy.value == pytest.approx((0.9 + 0.8 + 0.6) / 3)
    # 2 TP / (2 TP + FP + FN) with TP = 1.5, FP = 0.5, FN = 0.2.
    assert estimate.f1_per_class[0][1].value == pytest.approx(3.0 / 3.7)


def test_empty_window_estimates_nothing():
    estimator = ConfidenceEstimator.fit(["n", "y"], [0.3, 0.8], classes=["n", "y"])

    estimate = estimator.estimate(np.zeros(0), np.array([], dtype=str))

    assert estimate.count == 0
    assert estimate.accuracy is None
    assert estimate.as_flat_dict() == {"estimated_count": 0.0}


def test_unknown_predicted_label_is_refused():
    estimator = ConfidenceEstimator.fit(["n", "y"], [0.3, 0.8], classes=["n", "y"])

    with pytest.raises(ValueError, match="predicted_labels"):
        estimator.estimate([0.3], ["maybe"])


def test_empty_reference_set_is_refused():
    with pytest.raises(ValueError, match="reference set is empty"):
        ConfidenceEstimator.fit([], np.zeros((0, 2)), classes=["n", "y"])


def test_isotonic_map_predicts_what_scikit_learn_predicts():
    rng = np.random.default_rng(5)
    scores = rng.uniform(0.1, 0.9, size=3000)
    outcomes = rng.random(3000) < scores**2
    regression = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    regression.fit(scores, outcomes.astype(float))

    estimator = ConfidenceEstimator.fit(
        np.where(outcomes, "y", "n"), scores, classes=["n", "y"], calibration="always"
    )

    probe = np.concatenate([[0.0, 0.05, 0.95, 1.0], rng.uniform(0.0, 1.0, size=500)])
    assert estimator.calibrate(probe)[:, 1] == pytest.approx(regression.predict(probe))
