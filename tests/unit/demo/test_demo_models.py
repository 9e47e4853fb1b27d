"""Demo models: training quality, predictions, input validation and sampled traffic."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes

from predledger.demo.models import (
    BREAST_CANCER,
    DIABETES,
    DRIFT_PLAN,
    LABELLED_SENTENCES,
    SENTIMENT,
    DemoModels,
    LabelledSample,
    sample_inputs,
)
from predledger.errors import InvalidRecordError, NotFoundError


@pytest.fixture(scope="module")
def models() -> DemoModels:
    return DemoModels.train(seed=0)


def breast_cancer_row(index: int) -> tuple[dict[str, float], str]:
    data = load_breast_cancer()
    features = dict(zip(data.feature_names, data.data[index].tolist(), strict=True))
    return features, str(data.target_names[data.target[index]])


def test_models_describe_themselves_for_the_registry(models: DemoModels) -> None:
    cards = {model.name: model for model in models.models}

    assert sorted(cards) == sorted([BREAST_CANCER, DIABETES, SENTIMENT])
    assert {name: model.kind for name, model in cards.items()} == {
        BREAST_CANCER: "classification",
        DIABETES: "regression",
        SENTIMENT: "classification",
    }
    assert all(model.version == "1" for model in models.models)
    assert len(models.classifier.feature_names) == 30
    assert models.regressor.feature_names[:3] == ["age", "sex", "bmi"]
    assert models.sentiment.feature_names == ["text"]
    assert set(models.sentiment.classes) == {label for _, label in LABELLED_SENTENCES}
    assert models.classifier.training_samples == 426
    assert models.regressor.training_samples == 331
    assert models.classifier.hyperparameters["C"] == 1.0
    assert "LogisticRegression" in models.classifier.algorithm
    assert "VADER" in models.sentiment.algorithm
    assert models.get(DIABETES) is models.regressor


def test_held_out_metrics_show_useful_models(models: DemoModels) -> None:
    assert models.classifier.metrics["accuracy"] > 0.9
    assert models.classifier.metrics["f1"] > 0.9
    assert models.classifier.metrics["roc_auc"] > 0.95
    assert models.regressor.metrics["r2"] > 0.3
    assert 30 < models.regressor.metrics["mae"] < models.regressor.metrics["rmse"] < 80
    assert 0.75 < models.regressor.metrics["interval_coverage"] <= 1.0
    assert models.sentiment.metrics["accuracy"] > 0.8


def test_classifier_predicts_the_label_of_known_rows_with_class_probabilities(
    models: DemoModels,
) -> None:
    malignant, malignant_label = breast_cancer_row(0)
    benign, benign_label = breast_cancer_row(19)

    first, second = models.classifier.predict_many([malignant, benign])

    assert (malignant_label, benign_label) == ("malignant", "benign")
    assert (first.label, second.label) == ("malignant", "benign")
    assert first.probabilities is not None
    assert set(first.probabilities) == {"malignant", "benign"}
    assert math.isclose(sum(first.probabilities.values()), 1.0)
    assert first.probability == first.probabilities["malignant"] > 0.5
    assert first.value is None
    single = models.classifier.predict(benign)
    assert single.label == second.label
    assert single.probability == pytest.approx(second.probability)


def test_regressor_predicts_a_value_inside_its_interval(models: DemoModels) -> None:
    data = load_diabetes(scaled=False)
    row = dict(zip(data.feature_names, data.data[0].tolist(), strict=True))

    output = models.regressor.predict(row)

    assert output.value is not None
    assert output.interval_low is not None
    assert output.interval_high is not None
    assert output.interval_low < output.value < output.interval_high
    assert output.confidence_level == 0.9
    assert 25 < output.value < 346  # the range of the target
    assert output.label is None


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I absolutely love it, best thing ever!", "positive"),
        ("This is awful and I hate it.", "negative"),
        ("The parcel is in the hallway.", "neutral"),
    ],
)
def test_sentiment_labels_texts_with_a_confidence(
    models: DemoModels, text: str, label: str
) -> None:
    output = models.sentiment.predict(text)

    assert output.label == label
    assert output.probability is not None
    assert 0.5 <= output.probability <= 1.0


def test_clearer_texts_get_higher_sentiment_confidence(models: DemoModels) -> None:
    mild, strong = models.sentiment.predict_many(["It is fine.", "Wonderful, amazing, perfect!"])

    assert mild.label == strong.label == "positive"
    assert mild.probability is not None
    assert strong.probability is not None
    assert strong.probability > mild.probability


def test_reference_holds_training_inputs_labels_and_predictions(models: DemoModels) -> None:
    classifier = models.classifier.reference
    regressor = models.regressor.reference

    assert set(classifier) == {
        *models.classifier.feature_names,
        "label",
        "prediction",
        "probability",
    }
    assert all(len(column) == 426 for column in classifier.values())
    assert set(np.unique(classifier["prediction"])) == {"malignant", "benign"}
    assert np.mean(classifier["prediction"] == classifier["label"]) > 0.9
    assert set(regressor) == {*models.regressor.feature_names, "label", "prediction"}
    assert len(models.sentiment.reference["text"]) == len(LABELLED_SENTENCES)


def test_missing_features_are_named(models: DemoModels) -> None:
    features, _ = breast_cancer_row(0)
    del features["worst area"]

    with pytest.raises(
        InvalidRecordError, match="missing 1 of the model's 30 features: 'worst area'"
    ):
        models.classifier.predict(features)


def test_unknown_features_are_named_with_a_suggestion(models: DemoModels) -> None:
    data = load_diabetes(scaled=False)
    features = dict(zip(data.feature_names, data.data[0].tolist(), strict=True))
    features["BMI"] = features.pop("bmi")

    with pytest.raises(ValueError, match=r"unknown feature 'BMI' \(did you mean 'bmi'\?\)") as info:
        models.regressor.predict(features)

    assert "missing 1 of the model's 10 features: 'bmi'" in str(info.value)


def test_values_that_are_not_numbers_are_named(models: DemoModels) -> None:
    data = load_diabetes(scaled=False)
    good = dict(zip(data.feature_names, data.data[0].tolist(), strict=True))
    bad = {**good, "s5": "high"}

    with pytest.raises(InvalidRecordError, match=r"inputs\[1\]\.features\.s5: expected a finite"):
        models.regressor.predict_many([good, bad])
    with pytest.raises(
        InvalidRecordError, match=r"features\.age: expected a finite number, got nan"
    ):
        models.regressor.predict({**good, "age": float("nan")})


def test_wrong_kinds_of_input_are_refused(models: DemoModels) -> None:
    with pytest.raises(InvalidRecordError, match="features: expected a mapping"):
        models.classifier.predict("not a row")
    with pytest.raises(InvalidRecordError, match="text: must not be empty"):
        models.sentiment.predict("   ")
    with pytest.raises(NotFoundError, match="no demo model 'iris'"):
        models.get("iris")
    assert models.classifier.predict_many([]) == []


def test_samples_carry_the_truth_of_the_row_they_came_from() -> None:
    data = load_breast_cancer()
    scale = data.data.std(axis=0)
    samples = sample_inputs(BREAST_CANCER, 200, np.random.default_rng(3))

    rows = feature_rows(samples)
    distances = np.linalg.norm((rows[:, None, :] - data.data[None]) / scale, axis=2)
    source_labels = data.target_names[data.target[distances.argmin(axis=1)]]

    assert [sample.actual for sample in samples] == source_labels.tolist()
    assert list(samples[0].inputs) == list(data.feature_names)


def test_regression_and_text_samples_carry_their_truth() -> None:
    targets = set(load_diabetes().target.tolist())
    known = dict(LABELLED_SENTENCES)
    rng = np.random.default_rng(4)

    diabetes = sample_inputs(DIABETES, 50, rng)
    texts = sample_inputs(SENTIMENT, 50, rng)

    assert all(isinstance(sample.actual, float) and sample.actual in targets for sample in diabetes)
    assert set(feature_rows(diabetes)[:, 1]) <= {1.0, 2.0}  # sex is a code, never jittered
    assert all(known[str(sample.inputs)] == sample.actual for sample in texts)


def feature_rows(samples: list[LabelledSample]) -> np.ndarray:
    rows: list[list[float]] = []
    for sample in samples:
        assert isinstance(sample.inputs, Mapping)
        rows.append(list(sample.inputs.values()))
    return np.asarray(rows, dtype=np.float64)


@pytest.mark.parametrize("model_name", [BREAST_CANCER, DIABETES])
def test_drifted_samples_move_the_planned_features(model_name: str) -> None:
    data = load_breast_cancer() if model_name == BREAST_CANCER else load_diabetes(scaled=False)
    table: np.ndarray = data.data
    mean, std = table.mean(axis=0), table.std(axis=0)
    names = list(data.feature_names)

    def standardised(drifted: bool) -> np.ndarray:
        samples = sample_inputs(model_name, 2_000, np.random.default_rng(5), drifted)
        return (feature_rows(samples) - mean) / std

    plain, drifted = standardised(False), standardised(True)

    assert np.all(np.abs(plain.mean(axis=0)) < 0.15)
    assert np.all(np.abs(plain.std(axis=0) - 1) < 0.15)
    for name, (shift, scale) in DRIFT_PLAN[model_name].items():
        column = names.index(name)
        assert drifted[:, column].mean() - plain[:, column].mean() == pytest.approx(shift, abs=0.2)
        assert drifted[:, column].std() / plain[:, column].std() == pytest.approx(scale, rel=0.15)
    untouched = [names.index(name) for name in names if name not in DRIFT_PLAN[model_name]]
    assert np.all(np.abs(drifted[:, untouched].mean(axis=0)) < 0.15)


def test_drifted_texts_lean_negative_and_neutral() -> None:
    def negative_or_neutral_share(drifted: bool) -> float:
        samples = sample_inputs(SENTIMENT, 2_000, np.random.default_rng(6), drifted)
        return float(np.mean([sample.actual != "positive" for sample in samples]))

    assert negative_or_neutral_share(False) == pytest.approx(0.5, abs=0.05)
    assert negative_or_neutral_share(True) == pytest.approx(0.85, abs=0.05)


def test_samples_repeat_for_the_same_seed_and_refuse_unknown_models() -> None:
    first = sample_inputs(DIABETES, 5, np.random.default_rng(7), drifted=True)
    second = sample_inputs(DIABETES, 5, np.random.default_rng(7), drifted=True)

    assert first == second
    with pytest.raises(NotFoundError, match="no demo dataset for 'iris'"):
        sample_inputs("iris", 1, np.random.default_rng(0))
