"""Scoring one window: realised metrics over the labelled rows, estimated ones over them all.

Probabilities are read from each prediction as logged: a mapping of class to probability, a
list in the order of the version's classes, or, for a binary model, the single
``probability`` of the positive class (the last of the classes, as in scikit-learn's
``predict_proba[:, 1]``). Probability metrics (ROC AUC, log loss, calibration) and the
estimate use only rows whose probabilities can be read that way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from predledger.performance.estimation import ConfidenceEstimator
from predledger.performance.metrics import (
    compute_classification_metrics,
    compute_regression_metrics,
)
from predledger.performance.queries import WindowRows


@dataclass(frozen=True)
class ScoringContext:
    """What the registry knows about the version being scored (all optional).

    Attributes:
        task: ``"classification"`` or ``"regression"``; guessed from the rows when absent.
        classes: the classifier's classes in the order of its probability columns.
        estimator: the confidence estimator fitted on the version's reference.
    """

    task: str | None = None
    classes: Sequence[str] | None = None
    estimator: ConfidenceEstimator | None = None


@dataclass(frozen=True)
class WindowScores:
    """The metrics of one window, as flat name -> value mappings ready to store."""

    task: str | None
    predictions: int
    labelled: int
    realized: dict[str, float]
    estimated: dict[str, float]


def score_window(rows: WindowRows, context: ScoringContext) -> WindowScores:
    """Compute a window's realised and estimated metrics."""
    task = context.task or _guess_task(rows)
    if task == "regression":
        pairs = [
            (actual, value)
            for actual, value in zip(rows.actual_values, rows.values, strict=True)
            if actual is not None and value is not None
        ]
        realized = compute_regression_metrics(
            [a for a, _ in pairs], [v for _, v in pairs]
        ).as_flat_dict()
        return WindowScores(task, len(rows), len(pairs), realized if pairs else {}, {})
    if task != "classification":
        return WindowScores(task, len(rows), 0, {}, {})
    classes = _classes(rows, context)
    realized, labelled = _realized_classification(rows, classes)
    estimated = _estimated(rows, context.estimator) if context.estimator is not None else {}
    return WindowScores(task, len(rows), labelled, realized, estimated)


def _guess_task(rows: WindowRows) -> str | None:
    if any(label is not None for label in rows.labels):
        return "classification"
    if any(value is not None for value in rows.values):
        return "regression"
    return None


def _classes(rows: WindowRows, context: ScoringContext) -> list[str]:
    if context.classes:
        return [str(c) for c in context.classes]
    if context.estimator is not None:
        return [str(c) for c in context.estimator.classes]
    seen = {label for label in (*rows.labels, *rows.actual_labels) if label is not None}
    for entry in rows.probabilities:
        if isinstance(entry, dict):
            seen.update(str(key) for key in entry)
    return sorted(seen)


def probability_row(score: float | None, entry: Any, classes: Sequence[str]) -> list[float] | None:
    """One prediction's probabilities as one value per class, or ``None`` when unreadable."""
    if isinstance(entry, dict):
        row = [float(entry.get(c, 0.0)) for c in classes]
    elif isinstance(entry, list) and len(entry) == len(classes):
        row = [float(p) for p in entry]
    elif entry is None and score is not None and len(classes) == 2:
        row = [1.0 - score, score]
    else:
        return None
    # The ledger checks each probability on the way in; a row can still carry no mass at all.
    return row if sum(row) > 0.0 else None


def _realized_classification(rows: WindowRows, classes: list[str]) -> tuple[dict[str, float], int]:
    index = [
        i
        for i, (actual, label) in enumerate(zip(rows.actual_labels, rows.labels, strict=True))
        if actual is not None and label is not None
    ]
    if not index:
        return {}, 0
    actuals = [rows.actual_labels[i] for i in index]
    predicted = [rows.labels[i] for i in index]
    matrix = [probability_row(rows.scores[i], rows.probabilities[i], classes) for i in index]
    known = set(classes)
    readable = all(p is not None for p in matrix) and known.issuperset(actuals + predicted)
    metrics = compute_classification_metrics(
        np.asarray(actuals, dtype=object).astype(str),
        np.asarray(predicted, dtype=object).astype(str),
        probabilities=np.asarray(matrix, dtype=np.float64) if readable else None,
        classes=classes if readable else None,
    )
    return metrics.as_flat_dict(), len(index)


def _estimated(rows: WindowRows, estimator: ConfidenceEstimator) -> dict[str, float]:
    classes = [str(c) for c in estimator.classes]
    known = set(classes)
    predicted: list[str] = []
    matrix: list[list[float]] = []
    for label, score, entry in zip(rows.labels, rows.scores, rows.probabilities, strict=True):
        probabilities = probability_row(score, entry, classes)
        if label is None or label not in known or probabilities is None:
            continue
        predicted.append(label)
        matrix.append(probabilities)
    if not predicted:
        return {}
    estimate = estimator.estimate(
        np.asarray(matrix, dtype=np.float64), np.asarray(predicted, dtype=object).astype(str)
    )
    return estimate.as_flat_dict()
