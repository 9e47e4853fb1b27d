"""Calibration tables: how often events happen at each level of predicted probability.

The bins are the uniform ones of :func:`sklearn.calibration.calibration_curve` (ten equal bins
of [0, 1] by default, a score on an inner edge belonging to the lower bin), so the mean
predicted probability and observed frequency of each non-empty bin equal that function's
output. Unlike it, the table also keeps each bin's row count, which a stored table needs to be
merged across windows and which readers need to tell a noisy bin from a solid one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from predledger.performance._inputs import FloatArray


@dataclass(frozen=True)
class CalibrationBin:
    """One bin of a calibration table.

    Attributes:
        lower: Lower edge of the bin's predicted probabilities.
        upper: Upper edge of the bin's predicted probabilities.
        mean_predicted: Mean predicted probability of the rows in the bin.
        observed_frequency: Share of the rows in the bin where the event happened.
        count: Number of rows in the bin (never zero: empty bins are left out).
    """

    lower: float
    upper: float
    mean_predicted: float
    observed_frequency: float
    count: int


def _bin_totals(
    scores: FloatArray, outcomes: NDArray[np.bool_], n_bins: int
) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    """Return per-bin sums of scores, sums of outcomes and row counts (all bins, even empty)."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bin_ids = np.searchsorted(edges[1:-1], scores)
    score_sums = np.bincount(bin_ids, weights=scores, minlength=n_bins).astype(np.float64)
    event_sums = np.bincount(bin_ids, weights=outcomes, minlength=n_bins).astype(np.float64)
    counts = np.bincount(bin_ids, minlength=n_bins).astype(np.int64)
    return score_sums, event_sums, counts


def compute_calibration_table(
    scores: FloatArray, outcomes: NDArray[np.bool_], *, n_bins: int = 10
) -> tuple[CalibrationBin, ...]:
    """Bin predicted probabilities and compare them with how often the event happened.

    Args:
        scores: Predicted probability of the event for each row, within [0, 1].
        outcomes: Whether the event happened on each row.
        n_bins: Number of equal-width bins over [0, 1].

    Returns:
        The non-empty bins in increasing order of probability; empty for empty input.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    score_sums, event_sums, counts = _bin_totals(scores, outcomes, n_bins)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return tuple(
        CalibrationBin(
            lower=float(edges[index]),
            upper=float(edges[index + 1]),
            mean_predicted=float(score_sums[index] / counts[index]),
            observed_frequency=float(event_sums[index] / counts[index]),
            count=int(counts[index]),
        )
        for index in np.flatnonzero(counts)
    )


def expected_calibration_error(
    scores: FloatArray, outcomes: NDArray[np.bool_], *, n_bins: int = 10
) -> float | None:
    """Return the count-weighted mean gap between predicted and observed frequency per bin.

    Args:
        scores: Predicted probability of the event for each row, within [0, 1].
        outcomes: Whether the event happened on each row.
        n_bins: Number of equal-width bins over [0, 1].

    Returns:
        The expected calibration error in [0, 1], or ``None`` for empty input.
    """
    if len(scores) == 0:
        return None
    score_sums, event_sums, counts = _bin_totals(scores, outcomes, n_bins)
    return float(np.abs(score_sums - event_sums).sum() / counts.sum())
