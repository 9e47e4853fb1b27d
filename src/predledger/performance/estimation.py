"""Estimated classifier performance before labels arrive, from the model's own probabilities.

This is confidence-based performance estimation as NannyML's CBPE does it. If a classifier's
probabilities are calibrated, the probability it gives the class it predicts is the chance that
the prediction is right, so the mean of those probabilities over a window is the accuracy to
expect there, and expected true positives, false positives and false negatives give the F1 to
expect. This holds under covariate shift (the inputs move, the relation between inputs and
labels does not), which is the shift labels are slowest to reveal.

Calibration: the probabilities are first mapped through isotonic regressions fitted on a
labelled reference set: one per class, one-vs-rest, with rows renormalised, for multiclass; one
for the positive class of a binary model. By default a map is kept only where it improves
out-of-fold calibration (see :mod:`predledger.performance.isotonic`).

Expected F1 is, as in CBPE, ``2 E[TP] / (2 E[TP] + E[FP] + E[FN])`` of the one-vs-rest counts;
a multiclass model's macro F1 averages it over the classes predicted or expected in the window.

Uncertainty: like NannyML's sampling error, the standard error of a ratio metric ``A / B`` of
per-row terms is ``sqrt(mean((a - R b)^2) / n) / mean(b)``, with the per-row expectation of
``(a - R b)^2`` taken over the label the calibrated probabilities imply. For accuracy this is
``sqrt(m (1 - m) / n)``, the standard deviation of per-row correctness under the estimated rate
over the square root of the row count. Bands are the estimate +/- ``z`` standard errors, with
NannyML's ``z = 3`` by default, clipped to [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from predledger.performance._inputs import (
    ClassLabel,
    FloatArray,
    IndexArray,
    as_label_array,
    check_same_length,
    label_indices,
    positive_index_of,
    probability_matrix,
    resolve_classes,
)
from predledger.performance.isotonic import (
    CalibrationMode,
    IsotonicMap,
    apply_calibration_map,
    fit_calibration_map,
)
from predledger.performance.metric_names import format_metric_name


@dataclass(frozen=True)
class EstimatedValue:
    """An estimated metric with its uncertainty.

    Attributes:
        value: The estimate.
        standard_error: Its estimated standard error (sampling error).
        lower: ``value - z * standard_error``, no lower than 0.
        upper: ``value + z * standard_error``, no higher than 1.
    """

    value: float
    standard_error: float
    lower: float
    upper: float


@dataclass(frozen=True)
class EstimatedMetrics:
    """Performance expected over a window of unlabelled predictions.

    Attributes:
        count: Number of rows the estimate covers.
        accuracy: Expected accuracy; ``None`` for an empty window.
        f1_per_class: Expected one-vs-rest F1 per class; for a binary model only the positive
            class. Classes neither predicted nor expected in the window are left out.
        f1_macro: Unweighted mean of ``f1_per_class`` for a multiclass model, else ``None``.
    """

    count: int
    accuracy: EstimatedValue | None
    f1_per_class: tuple[tuple[ClassLabel, EstimatedValue], ...]
    f1_macro: EstimatedValue | None

    def as_flat_dict(self) -> dict[str, float]:
        """Return metric name -> value, ready to store as rows (see ``metric_names``)."""
        flat = {"estimated_count": float(self.count)}
        named: list[tuple[str, str | None, ClassLabel | None, EstimatedValue | None]] = [
            ("estimated_accuracy", None, None, self.accuracy),
            ("estimated_f1_macro", None, None, self.f1_macro),
        ]
        named += [("estimated_f1", "class", label, f1) for label, f1 in self.f1_per_class]
        for metric, key, label, estimate in named:
            if estimate is None:
                continue
            for suffix, value in (
                ("", estimate.value),
                ("_se", estimate.standard_error),
                ("_lower", estimate.lower),
                ("_upper", estimate.upper),
            ):
                flat[format_metric_name(metric + suffix, key, label)] = value
        return flat


@dataclass(frozen=True)
class ConfidenceEstimator:
    """Calibration fitted on a labelled reference set, ready to estimate unlabelled windows.

    Build one with :meth:`fit`; it is plain data, so :meth:`to_dict` and :meth:`from_dict` let it
    be stored beside the model version it belongs to.

    Attributes:
        classes: The model's classes, in the order of its probability columns.
        positive_class: The positive class of a binary model, ``None`` for multiclass.
        calibration_maps: Per class, the isotonic map applied to its probabilities, or ``None``
            where the raw probabilities are used (for a binary model only the positive class's
            entry is ever set; the other probability is its complement).
        reference_count: Number of reference rows the estimator was fitted on.
    """

    classes: tuple[ClassLabel, ...]
    positive_class: ClassLabel | None
    calibration_maps: tuple[IsotonicMap | None, ...]
    reference_count: int

    @classmethod
    def fit(
        cls,
        actuals: ArrayLike,
        probabilities: ArrayLike,
        *,
        classes: Sequence[ClassLabel],
        positive_class: ClassLabel | None = None,
        calibration: CalibrationMode = "auto",
        seed: int = 0,
    ) -> ConfidenceEstimator:
        """Fit the calibration of a classifier's probabilities on a labelled reference set.

        Args:
            actuals: True label of each reference row.
            probabilities: Predicted probabilities of each reference row: one column per class
                in the order of ``classes``, or a binary model's positive-class probability.
            classes: Every class the model can emit, in the order of its probability columns.
            positive_class: The positive class of a binary model; defaults to the last class.
            calibration: ``"auto"`` keeps a class's isotonic map only when it lowers the
                out-of-fold calibration error; ``"always"`` and ``"never"`` force the choice.
            seed: Seed of the fold assignment used by ``"auto"``.

        Returns:
            The fitted estimator.

        Raises:
            ValueError: on an empty reference set or arrays that do not fit ``classes``.
        """
        known = resolve_classes(classes)
        if len(known) < 2:
            raise ValueError(f"classes must hold at least two labels, got {known}")
        actual = as_label_array(actuals, name="actuals")
        positive = positive_index_of(known, positive_class)
        matrix = probability_matrix(probabilities, classes=known, positive_index=positive)
        count = check_same_length(actuals=actual, probabilities=matrix)
        if count == 0:
            raise ValueError("the reference set is empty: fit needs labelled rows")
        actual_index = label_indices(actual, known, name="actuals")
        fitted = [positive] if positive is not None else range(len(known))
        rng = np.random.default_rng(seed)
        maps: list[IsotonicMap | None] = [None] * len(known)
        for column in fitted:
            maps[column] = fit_calibration_map(
                matrix[:, column], actual_index == column, calibration=calibration, rng=rng
            )
        return cls(
            classes=known,
            positive_class=known[positive] if positive is not None else None,
            calibration_maps=tuple(maps),
            reference_count=count,
        )

    def calibrate(self, probabilities: ArrayLike) -> FloatArray:
        """Return calibrated probabilities, one column per class, each row summing to one.

        Args:
            probabilities: One column per class in the order of ``classes``, or a binary
                model's positive-class probability.

        Returns:
            An ``(n_rows, n_classes)`` matrix.
        """
        positive = positive_index_of(self.classes, self.positive_class)
        matrix = probability_matrix(probabilities, classes=self.classes, positive_index=positive)
        if positive is not None:
            calibrated = apply_calibration_map(self.calibration_maps[positive], matrix[:, positive])
            matrix[:, positive] = calibrated
            matrix[:, 1 - positive] = 1.0 - calibrated
            return matrix
        raw = matrix.copy()
        for column, isotonic in enumerate(self.calibration_maps):
            matrix[:, column] = apply_calibration_map(isotonic, matrix[:, column])
        sums = matrix.sum(axis=1, keepdims=True)
        # A row every map sends to zero carries no calibrated information: keep it raw.
        normalised: FloatArray = np.where(sums > 0.0, matrix / np.where(sums > 0, sums, 1), raw)
        return normalised

    def estimate(
        self, probabilities: ArrayLike, predicted_labels: ArrayLike, *, z: float = 3.0
    ) -> EstimatedMetrics:
        """Estimate accuracy and F1 of a window of predictions whose labels are not known yet.

        Args:
            probabilities: Predicted probabilities of each row, shaped as for :meth:`fit`.
            predicted_labels: The label the model predicted for each row (which need not be the
                most probable class, e.g. with a tuned threshold).
            z: Width of the bands in standard errors.

        Returns:
            The expected metrics with standard errors and bands.

        Raises:
            ValueError: on arrays of different lengths or labels outside ``classes``.
        """
        predicted = as_label_array(predicted_labels, name="predicted_labels")
        calibrated = self.calibrate(probabilities)
        count = check_same_length(probabilities=calibrated, predicted_labels=predicted)
        predicted_index = label_indices(predicted, self.classes, name="predicted_labels")
        if count == 0:
            return EstimatedMetrics(count=0, accuracy=None, f1_per_class=(), f1_macro=None)
        positive = positive_index_of(self.classes, self.positive_class)
        columns = [positive] if positive is not None else range(len(self.classes))
        per_class = [
            (self.classes[column], _expected_f1(calibrated[:, column], predicted_index == column))
            for column in columns
        ]
        f1_per_class = tuple((label, _band(*f1, z)) for label, f1 in per_class if f1 is not None)
        return EstimatedMetrics(
            count=count,
            accuracy=_band(*_expected_accuracy(calibrated, predicted_index), z),
            f1_per_class=f1_per_class,
            f1_macro=_macro(f1_per_class, z) if positive is None else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the estimator as JSON-ready data, the inverse of :meth:`from_dict`."""
        return {
            "classes": list(self.classes),
            "positive_class": self.positive_class,
            "calibration_maps": [
                None if isotonic is None else {"x": list(isotonic.x), "y": list(isotonic.y)}
                for isotonic in self.calibration_maps
            ],
            "reference_count": self.reference_count,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConfidenceEstimator:
        """Rebuild an estimator from the output of :meth:`to_dict`."""
        return cls(
            classes=tuple(data["classes"]),
            positive_class=data["positive_class"],
            calibration_maps=tuple(
                None if entry is None else IsotonicMap(x=tuple(entry["x"]), y=tuple(entry["y"]))
                for entry in data["calibration_maps"]
            ),
            reference_count=int(data["reference_count"]),
        )


def _ratio_estimate(
    numerator: tuple[FloatArray, FloatArray],
    denominator: tuple[FloatArray, FloatArray],
    event: FloatArray,
) -> tuple[float, float] | None:
    """Estimate ``sum(a) / sum(b)`` and its standard error from per-row terms.

    Each per-row term is given as its value when the row's event happens and when it does not;
    ``event`` is the probability that it happens. Returns ``None`` when the expected denominator
    is zero.
    """
    a_if, a_else = numerator
    b_if, b_else = denominator
    expected_b = event * b_if + (1.0 - event) * b_else
    if expected_b.sum() <= 0.0:
        return None
    expected_a = event * a_if + (1.0 - event) * a_else
    ratio = float(expected_a.sum() / expected_b.sum())
    squared = event * (a_if - ratio * b_if) ** 2 + (1.0 - event) * (a_else - ratio * b_else) ** 2
    error = float(np.sqrt(squared.mean() / len(event)) / expected_b.mean())
    return ratio, error


def _expected_accuracy(calibrated: FloatArray, predicted_index: IndexArray) -> tuple[float, float]:
    """Return expected accuracy and its standard error: the event is 'the prediction is right'."""
    correct = calibrated[np.arange(len(calibrated)), predicted_index]
    ones, zeros = np.ones_like(correct), np.zeros_like(correct)
    estimate = _ratio_estimate((ones, zeros), (ones, ones), correct)
    if estimate is None:  # unreachable: the denominator is the row count
        raise AssertionError("expected accuracy of an empty window")
    return estimate


def _expected_f1(
    probability: FloatArray, predicted: NDArray[np.bool_]
) -> tuple[float, float] | None:
    """Return one class's expected F1 = 2 TP / (2 TP + FP + FN) and its standard error.

    Per row, with the event 'the row is of the class' and ``p`` the predicted indicator:
    ``2 TP`` contributes ``2 p`` if the event happens, and ``2 TP + FP + FN`` contributes
    ``1 + p`` if it happens and ``p`` if not.
    """
    flag = predicted.astype(np.float64)
    return _ratio_estimate((2.0 * flag, np.zeros_like(flag)), (1.0 + flag, flag), probability)


def _band(value: float, standard_error: float, z: float) -> EstimatedValue:
    return EstimatedValue(
        value=value,
        standard_error=standard_error,
        lower=max(0.0, value - z * standard_error),
        upper=min(1.0, value + z * standard_error),
    )


def _macro(per_class: tuple[tuple[ClassLabel, EstimatedValue], ...], z: float) -> EstimatedValue:
    """Average per-class estimates; their errors combine as if independent."""
    values = np.array([estimate.value for _, estimate in per_class])
    errors = np.array([estimate.standard_error for _, estimate in per_class])
    return _band(float(values.mean()), float(np.sqrt((errors**2).sum()) / len(errors)), z)
