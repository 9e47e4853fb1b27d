"""Realised performance metrics agree with scikit-learn and degrade to None, never to warnings."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    precision_recall_fscore_support,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)

from predledger.performance import (
    compute_calibration_table,
    compute_classification_metrics,
    compute_regression_metrics,
    format_metric_name,
    parse_metric_name,
)


@pytest.fixture
def binary_window():
    rng = np.random.default_rng(11)
    positive_probability = rng.uniform(0.0, 1.0, size=600)
    actuals = np.where(rng.random(600) < positive_probability**0.8, "yes", "no")
    predictions = np.where(positive_probability > 0.45, "yes", "no")
    return actuals, predictions, positive_probability


@pytest.fixture
def multiclass_window():
    rng = np.random.default_rng(12)
    probabilities = rng.dirichlet([1.0, 2.0, 3.0], size=900)
    actuals = np.array([rng.choice(3, p=row) for row in probabilities])
    predictions = probabilities.argmax(axis=1)
    return actuals, predictions, probabilities


def test_binary_metrics_equal_scikit_learn(binary_window):
    actuals, predictions, p_yes = binary_window

    metrics = compute_classification_metrics(
        actuals, predictions, probabilities=p_yes, classes=["no", "yes"]
    )

    assert metrics.count == 600
    assert metrics.accuracy == pytest.approx(accuracy_score(actuals, predictions))
    assert metrics.precision_macro == pytest.approx(
        precision_score(actuals, predictions, average="macro")
    )
    assert metrics.recall_macro == pytest.approx(
        recall_score(actuals, predictions, average="macro")
    )
    assert metrics.f1_macro == pytest.approx(f1_score(actuals, predictions, average="macro"))
    assert metrics.roc_auc == pytest.approx(roc_auc_score(actuals == "yes", p_yes))
    assert metrics.log_loss == pytest.approx(log_loss(actuals, np.column_stack([1 - p_yes, p_yes])))
    precision, recall, f1, support = precision_recall_fscore_support(actuals, predictions)
    assert [entry.label for entry in metrics.per_class] == ["no", "yes"]
    assert [entry.precision for entry in metrics.per_class] == pytest.approx(precision)
    assert [entry.recall for entry in metrics.per_class] == pytest.approx(recall)
    assert [entry.f1 for entry in metrics.per_class] == pytest.approx(f1)
    assert [entry.support for entry in metrics.per_class] == support.tolist()


def test_calibration_table_matches_calibration_curve_and_counts_rows(binary_window):
    actuals, predictions, p_yes = binary_window

    table = compute_classification_metrics(
        actuals, predictions, probabilities=p_yes, classes=["no", "yes"], n_bins=8
    ).calibration

    observed, predicted = calibration_curve(actuals, p_yes, pos_label="yes", n_bins=8)
    assert [bin_.observed_frequency for bin_ in table] == pytest.approx(observed)
    assert [bin_.mean_predicted for bin_ in table] == pytest.approx(predicted)
    # A score on an inner edge belongs to the lower bin, as in calibration_curve.
    expected_counts = [
        int(np.sum(((p_yes > b.lower) | ((p_yes == 0.0) & (b.lower == 0.0))) & (p_yes <= b.upper)))
        for b in table
    ]
    assert [bin_.count for bin_ in table] == expected_counts
    assert sum(expected_counts) == 600


def test_positive_class_need_not_be_the_last_class(binary_window):
    actuals, predictions, p_yes = binary_window

    metrics = compute_classification_metrics(
        actuals, predictions, probabilities=p_yes, classes=["yes", "no"], positive_class="yes"
    )

    assert metrics.roc_auc == pytest.approx(roc_auc_score(actuals == "yes", p_yes))
    assert metrics.log_loss == pytest.approx(log_loss(actuals, np.column_stack([1 - p_yes, p_yes])))


def test_multiclass_metrics_equal_scikit_learn(multiclass_window):
    actuals, predictions, probabilities = multiclass_window

    metrics = compute_classification_metrics(
        actuals, predictions, probabilities=probabilities, classes=[0, 1, 2]
    )

    assert metrics.accuracy == pytest.approx(accuracy_score(actuals, predictions))
    assert metrics.f1_macro == pytest.approx(f1_score(actuals, predictions, average="macro"))
    assert metrics.precision_macro == pytest.approx(
        precision_score(actuals, predictions, average="macro")
    )
    assert metrics.log_loss == pytest.approx(log_loss(actuals, probabilities))
    assert metrics.roc_auc is None
    _, _, f1, _ = precision_recall_fscore_support(actuals, predictions)
    assert [entry.f1 for entry in metrics.per_class] == pytest.approx(f1)
    top = probabilities.max(axis=1)
    total = sum(bin_.count for bin_ in metrics.calibration)
    weighted_mean = sum(bin_.mean_predicted * bin_.count for bin_ in metrics.calibration) / total
    assert total == 900
    assert weighted_mean == pytest.approx(top.mean())


def test_probability_columns_follow_the_given_class_order(multiclass_window):
    actuals, predictions, probabilities = multiclass_window
    names = np.array(["cat", "dog", "bird"])

    metrics = compute_classification_metrics(
        names[actuals],
        names[predictions],
        probabilities=probabilities,
        classes=["cat", "dog", "bird"],
    )

    # scikit-learn wants the columns in sorted label order: bird, cat, dog.
    assert metrics.log_loss == pytest.approx(log_loss(names[actuals], probabilities[:, [2, 0, 1]]))
    assert metrics.log_loss == pytest.approx(log_loss(actuals, probabilities))


def test_float32_probabilities_are_renormalised_without_warning(multiclass_window):
    actuals, predictions, probabilities = multiclass_window
    rough = probabilities.astype(np.float32) * np.float32(1.001)

    metrics = compute_classification_metrics(
        actuals, predictions, probabilities=rough, classes=[0, 1, 2]
    )

    assert metrics.log_loss == pytest.approx(log_loss(actuals, probabilities), rel=1e-5)


def test_window_missing_a_class_keeps_log_loss_and_macro_over_seen_classes():
    actuals = np.array(["a", "b", "a", "b", "a"])
    predictions = np.array(["a", "b", "b", "b", "a"])
    probabilities = np.array(
        [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.6, 0.1], [0.2, 0.7, 0.1], [0.8, 0.1, 0.1]]
    )

    metrics = compute_classification_metrics(
        actuals, predictions, probabilities=probabilities, classes=["a", "b", "c"]
    )

    assert metrics.log_loss == pytest.approx(
        log_loss(actuals, probabilities, labels=["a", "b", "c"])
    )
    assert metrics.f1_macro == pytest.approx(f1_score(actuals, predictions, average="macro"))
    assert [entry.label for entry in metrics.per_class] == ["a", "b"]


def test_class_predicted_but_never_actual_scores_zero_without_warning():
    metrics = compute_classification_metrics(["a", "a", "a"], ["a", "b", "a"])

    by_label = {entry.label: entry for entry in metrics.per_class}
    assert by_label["b"].precision == 0.0
    assert by_label["b"].recall == 0.0
    assert by_label["b"].support == 0
    assert metrics.f1_macro == pytest.approx(
        f1_score(["a", "a", "a"], ["a", "b", "a"], average="macro", zero_division=0)
    )


def test_single_class_window_has_no_roc_auc_but_keeps_the_rest():
    metrics = compute_classification_metrics(
        [1, 1, 1], [1, 1, 0], probabilities=[0.9, 0.8, 0.4], classes=[0, 1]
    )

    assert metrics.roc_auc is None
    assert metrics.accuracy == pytest.approx(2 / 3)
    assert metrics.log_loss == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.4])))
    assert "roc_auc" not in metrics.as_flat_dict()


def test_empty_window_gives_count_zero_and_nothing_else():
    metrics = compute_classification_metrics([], [], probabilities=np.zeros((0, 2)), classes=[0, 1])

    assert metrics.count == 0
    assert metrics.accuracy is None
    assert metrics.f1_macro is None
    assert metrics.log_loss is None
    assert metrics.calibration == ()
    assert metrics.as_flat_dict() == {"count": 0.0}


def test_metrics_without_probabilities_leave_probability_metrics_out(binary_window):
    actuals, predictions, _ = binary_window

    flat = compute_classification_metrics(actuals, predictions).as_flat_dict()

    assert "log_loss" not in flat
    assert "calibration_error" not in flat
    assert not any(name.startswith("calibration_") for name in flat)
    assert flat["f1[class=yes]"] == pytest.approx(f1_score(actuals, predictions, pos_label="yes"))


def test_flat_dict_names_parse_back_to_metric_and_labels(binary_window):
    actuals, predictions, p_yes = binary_window

    flat = compute_classification_metrics(
        actuals, predictions, probabilities=p_yes, classes=["no", "yes"]
    ).as_flat_dict()

    parsed = [parse_metric_name(name) for name in flat]
    assert ("f1", {"class": "yes"}) in parsed
    assert ("calibration_count", {"bin": "0.9-1"}) in parsed
    assert {metric for metric, labels in parsed if not labels} == {
        "count",
        "accuracy",
        "precision_macro",
        "recall_macro",
        "f1_macro",
        "roc_auc",
        "log_loss",
        "calibration_error",
    }


@pytest.mark.parametrize("label", ["plain", "with=equals", "with]bracket", "a,b"])
def test_metric_names_round_trip_any_class_label(label):
    assert parse_metric_name(format_metric_name("recall", "class", label)) == (
        "recall",
        {"class": label},
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"actuals": ["a", "z"], "predictions": ["a", "b"], "classes": ["a", "b"]}, "actuals"),
        ({"actuals": ["a"], "predictions": ["a", "b"]}, "same number of rows"),
        (
            {
                "actuals": [0, 1],
                "predictions": [0, 2],
                "probabilities": [0.2, 0.9],
                "classes": [0, 1, 2],
            },
            "one column per class",
        ),
        (
            {"actuals": [0, 1], "predictions": [0, 1], "probabilities": [0.2, 1.5]},
            "within",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_problem(kwargs, message):
    with pytest.raises(ValueError, match=message):
        compute_classification_metrics(**kwargs)


def test_regression_metrics_equal_scikit_learn():
    rng = np.random.default_rng(13)
    actuals = rng.normal(50.0, 10.0, size=400)
    predictions = actuals + rng.normal(0.0, 3.0, size=400)

    metrics = compute_regression_metrics(actuals, predictions)

    assert metrics.count == 400
    assert metrics.mae == pytest.approx(mean_absolute_error(actuals, predictions))
    assert metrics.rmse == pytest.approx(root_mean_squared_error(actuals, predictions))
    assert metrics.r2 == pytest.approx(r2_score(actuals, predictions))
    assert metrics.mape == pytest.approx(mean_absolute_percentage_error(actuals, predictions))
    assert metrics.mape_count == 400


def test_mape_ignores_zero_actuals():
    metrics = compute_regression_metrics([0.0, 10.0, 20.0, 0.0], [1.0, 12.0, 15.0, -3.0])

    assert metrics.mape == pytest.approx((0.2 + 0.25) / 2)
    assert metrics.mape_count == 2
    assert metrics.mae == pytest.approx((1 + 2 + 5 + 3) / 4)


def test_mape_is_none_when_every_actual_is_zero():
    metrics = compute_regression_metrics([0.0, 0.0], [1.0, 2.0])

    assert metrics.mape is None
    assert metrics.mape_count == 0
    assert "mape" not in metrics.as_flat_dict()


def test_single_row_regression_has_no_r2():
    metrics = compute_regression_metrics([3.0], [5.0])

    assert metrics.r2 is None
    assert metrics.rmse == pytest.approx(2.0)
    assert metrics.as_flat_dict() == {
        "count": 1.0,
        "mae": 2.0,
        "rmse": 2.0,
        "mape": pytest.approx(2 / 3),
        "mape_count": 1.0,
    }


def test_empty_regression_window_gives_count_zero_and_nothing_else():
    metrics = compute_regression_metrics([], [])

    assert metrics.mae is None
    assert metrics.r2 is None
    assert metrics.as_flat_dict() == {"count": 0.0, "mape_count": 0.0}


def test_scores_on_an_inner_edge_fall_in_the_lower_bin():
    scores = np.array([0.0, 0.1, 0.1000001, 1.0])

    table = compute_calibration_table(scores, np.array([False, True, False, True]))

    assert [(bin_.lower, bin_.upper, bin_.count) for bin_ in table] == [
        (0.0, pytest.approx(0.1), 2),
        (pytest.approx(0.1), pytest.approx(0.2), 1),
        (pytest.approx(0.9), 1.0, 1),
    ]
    assert [bin_.observed_frequency for bin_ in table] == [0.5, 0.0, 1.0]
