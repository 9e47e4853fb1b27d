"""Realised model performance over a window of predictions whose labels have arrived.

Every metric is scikit-learn's own function applied to the window's arrays; this module only
decides when a metric is defined and shapes the results. Undefined metrics are ``None`` rather
than NaN or a warning: accuracy of an empty window, ROC AUC of a window with one class, R² of a
single row. Stored names are described in :mod:`predledger.performance.metric_names`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import (
    accuracy_score,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    precision_recall_fscore_support,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from predledger.performance._inputs import (
    ClassLabel,
    FloatArray,
    IndexArray,
    LabelArray,
    as_label_array,
    check_same_length,
    label_indices,
    positive_index_of,
    probability_matrix,
    resolve_classes,
)
from predledger.performance.calibration import (
    CalibrationBin,
    compute_calibration_table,
    expected_calibration_error,
)
from predledger.performance.metric_names import format_metric_name


@dataclass(frozen=True)
class ClassMetrics:
    """Precision, recall, F1 and support of one class, treated one-vs-rest.

    Attributes:
        label: The class.
        precision: Share of the rows predicted as the class that were the class (0 if none).
        recall: Share of the rows of the class that were predicted as it (0 if none).
        f1: Harmonic mean of precision and recall (0 when both are 0).
        support: Number of rows whose actual label is the class.
    """

    label: ClassLabel
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ClassificationMetrics:
    """Realised performance of a classifier over one window.

    Attributes:
        count: Number of labelled rows.
        accuracy: Share of correct predictions.
        precision_macro: Unweighted mean precision over the classes seen in the window.
        recall_macro: Unweighted mean recall over the classes seen in the window.
        f1_macro: Unweighted mean F1 over the classes seen in the window.
        per_class: Metrics of each class seen in the window (as an actual or a prediction),
            in the order of the model's classes.
        roc_auc: Area under the ROC curve of a binary model's positive-class probability.
        log_loss: Mean cross-entropy of the predicted probabilities.
        calibration: Calibration table of the positive-class probability (binary) or of the
            predicted class's probability against correctness (multiclass).
        calibration_error: Count-weighted mean gap of the calibration table.
    """

    count: int
    accuracy: float | None
    precision_macro: float | None
    recall_macro: float | None
    f1_macro: float | None
    per_class: tuple[ClassMetrics, ...]
    roc_auc: float | None
    log_loss: float | None
    calibration: tuple[CalibrationBin, ...]
    calibration_error: float | None

    def as_flat_dict(self) -> dict[str, float]:
        """Return metric name -> value for every defined metric, ready to store as rows."""
        flat = _defined(
            count=float(self.count),
            accuracy=self.accuracy,
            precision_macro=self.precision_macro,
            recall_macro=self.recall_macro,
            f1_macro=self.f1_macro,
            roc_auc=self.roc_auc,
            log_loss=self.log_loss,
            calibration_error=self.calibration_error,
        )
        for entry in self.per_class:
            for metric, value in (
                ("precision", entry.precision),
                ("recall", entry.recall),
                ("f1", entry.f1),
                ("support", float(entry.support)),
            ):
                flat[format_metric_name(metric, "class", entry.label)] = value
        for bin_ in self.calibration:
            edges = f"{bin_.lower:g}-{bin_.upper:g}"
            for metric, value in (
                ("calibration_mean_predicted", bin_.mean_predicted),
                ("calibration_observed", bin_.observed_frequency),
                ("calibration_count", float(bin_.count)),
            ):
                flat[format_metric_name(metric, "bin", edges)] = value
        return flat


@dataclass(frozen=True)
class RegressionMetrics:
    """Realised performance of a regressor over one window.

    Attributes:
        count: Number of labelled rows.
        mae: Mean absolute error.
        rmse: Root mean squared error.
        r2: Coefficient of determination; ``None`` below two rows.
        mape: Mean absolute percentage error as a fraction (0.1 is 10 %), over the rows whose
            actual value is not zero, since a zero actual has no percentage error.
        mape_count: Number of rows ``mape`` was computed over.
    """

    count: int
    mae: float | None
    rmse: float | None
    r2: float | None
    mape: float | None
    mape_count: int

    def as_flat_dict(self) -> dict[str, float]:
        """Return metric name -> value for every defined metric, ready to store as rows."""
        return _defined(
            count=float(self.count),
            mae=self.mae,
            rmse=self.rmse,
            r2=self.r2,
            mape=self.mape,
            mape_count=float(self.mape_count),
        )


def _defined(**values: float | None) -> dict[str, float]:
    return {name: value for name, value in values.items() if value is not None}


def compute_classification_metrics(
    actuals: ArrayLike,
    predictions: ArrayLike,
    *,
    probabilities: ArrayLike | None = None,
    classes: Sequence[ClassLabel] | None = None,
    positive_class: ClassLabel | None = None,
    n_bins: int = 10,
) -> ClassificationMetrics:
    """Compute the realised performance of a classifier over one window.

    Args:
        actuals: True label of each row.
        predictions: Predicted label of each row.
        probabilities: Optional predicted probabilities: one column per class in the order of
            ``classes``, or, for a binary model, the positive class's probability alone.
        classes: Every class the model can emit, in the order of the probability columns.
            Defaults to the sorted labels seen in the window; pass it whenever probabilities
            are given, since a window may lack a class.
        positive_class: The positive class of a binary model; defaults to the last of
            ``classes`` (column 1 of scikit-learn's ``predict_proba``).
        n_bins: Number of equal-width bins of the calibration table.

    Returns:
        The metrics; those undefined for this window are ``None``.

    Raises:
        ValueError: on arrays of different lengths, labels outside ``classes`` or
            probabilities that do not fit ``classes``.
    """
    actual = as_label_array(actuals, name="actuals")
    predicted = as_label_array(predictions, name="predictions")
    check_same_length(actuals=actual, predictions=predicted)
    known = resolve_classes(classes, actual, predicted)
    actual_index = label_indices(actual, known, name="actuals")
    predicted_index = label_indices(predicted, known, name="predictions")
    positive = positive_index_of(known, positive_class)
    matrix = None
    if probabilities is not None:
        matrix = probability_matrix(probabilities, classes=known, positive_index=positive)
        check_same_length(actuals=actual, probabilities=matrix)
    if len(actual) == 0:
        return _empty_classification()
    per_class = _per_class_metrics(actual, predicted, known, actual_index, predicted_index)
    scores = _probability_metrics(
        actual, known, matrix, actual_index, predicted_index, positive, n_bins
    )
    return ClassificationMetrics(
        count=len(actual),
        accuracy=float(accuracy_score(actual, predicted)),
        precision_macro=float(np.mean([entry.precision for entry in per_class])),
        recall_macro=float(np.mean([entry.recall for entry in per_class])),
        f1_macro=float(np.mean([entry.f1 for entry in per_class])),
        per_class=per_class,
        roc_auc=scores.roc_auc,
        log_loss=scores.log_loss,
        calibration=scores.calibration,
        calibration_error=scores.calibration_error,
    )


def _empty_classification() -> ClassificationMetrics:
    return ClassificationMetrics(
        count=0,
        accuracy=None,
        precision_macro=None,
        recall_macro=None,
        f1_macro=None,
        per_class=(),
        roc_auc=None,
        log_loss=None,
        calibration=(),
        calibration_error=None,
    )


def _per_class_metrics(
    actual: LabelArray,
    predicted: LabelArray,
    classes: tuple[ClassLabel, ...],
    actual_index: IndexArray,
    predicted_index: IndexArray,
) -> tuple[ClassMetrics, ...]:
    """Return one-vs-rest metrics of the classes seen in the window.

    Classes absent from both actuals and predictions are left out, so that the macro averages
    equal scikit-learn's over the same arrays instead of being dragged down by zeros for
    classes the window never mentions.
    """
    seen = np.zeros(len(classes), dtype=bool)
    seen[actual_index] = True
    seen[predicted_index] = True
    labels = [classes[index] for index in np.flatnonzero(seen)]
    precision, recall, f1, support = precision_recall_fscore_support(
        actual, predicted, labels=labels, zero_division=0
    )
    return tuple(
        ClassMetrics(
            label=label,
            precision=float(precision[i]),
            recall=float(recall[i]),
            f1=float(f1[i]),
            support=int(support[i]),
        )
        for i, label in enumerate(labels)
    )


@dataclass(frozen=True)
class _ProbabilityScores:
    roc_auc: float | None = None
    log_loss: float | None = None
    calibration: tuple[CalibrationBin, ...] = ()
    calibration_error: float | None = None


def _probability_metrics(
    actual: LabelArray,
    classes: tuple[ClassLabel, ...],
    matrix: FloatArray | None,
    actual_index: IndexArray,
    predicted_index: IndexArray,
    positive: int | None,
    n_bins: int,
) -> _ProbabilityScores:
    if matrix is None:
        return _ProbabilityScores()
    roc_auc = None
    if positive is not None and len(np.unique(actual_index)) == 2:
        roc_auc = float(roc_auc_score(actual_index == positive, matrix[:, positive]))
    # log_loss orders the probability columns by sorted label, whatever order labels= has.
    order = np.argsort(np.asarray(classes))
    loss = log_loss(actual, matrix[:, order], labels=np.asarray(classes)[order])
    if positive is not None:
        scores, outcomes = matrix[:, positive], actual_index == positive
    else:
        scores = matrix[np.arange(len(matrix)), predicted_index]
        outcomes = actual_index == predicted_index
    return _ProbabilityScores(
        roc_auc=roc_auc,
        log_loss=float(loss),
        calibration=compute_calibration_table(scores, outcomes, n_bins=n_bins),
        calibration_error=expected_calibration_error(scores, outcomes, n_bins=n_bins),
    )


def compute_regression_metrics(actuals: ArrayLike, predictions: ArrayLike) -> RegressionMetrics:
    """Compute the realised performance of a regressor over one window.

    Args:
        actuals: True value of each row.
        predictions: Predicted value of each row.

    Returns:
        The metrics; all ``None`` for an empty window, ``r2`` ``None`` below two rows and
        ``mape`` ``None`` when every actual value is zero.

    Raises:
        ValueError: on arrays of different lengths or values that are not finite numbers.
    """
    actual = np.asarray(as_label_array(actuals, name="actuals"), dtype=np.float64)
    predicted = np.asarray(as_label_array(predictions, name="predictions"), dtype=np.float64)
    count = check_same_length(actuals=actual, predictions=predicted)
    if count == 0:
        return RegressionMetrics(count=0, mae=None, rmse=None, r2=None, mape=None, mape_count=0)
    nonzero = actual != 0.0
    mape = None
    if np.any(nonzero):
        mape = float(mean_absolute_percentage_error(actual[nonzero], predicted[nonzero]))
    return RegressionMetrics(
        count=count,
        mae=float(mean_absolute_error(actual, predicted)),
        rmse=float(root_mean_squared_error(actual, predicted)),
        r2=float(r2_score(actual, predicted)) if count >= 2 else None,
        mape=mape,
        mape_count=int(nonzero.sum()),
    )
