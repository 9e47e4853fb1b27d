"""Isotonic calibration maps of predicted probabilities, and when to use them.

A class's map is an isotonic regression of "the row is of the class" on the class's predicted
probability, fitted on a labelled reference set. Under ``"auto"`` the map is kept only when it
lowers the expected calibration error of out-of-fold predictions, as NannyML decides: an
isotonic fit always looks better on the rows it was fitted on, and on an already calibrated
model it would only add noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from sklearn.isotonic import IsotonicRegression

from predledger.performance._inputs import FloatArray
from predledger.performance.calibration import expected_calibration_error

CalibrationMode = Literal["auto", "always", "never"]

_CALIBRATION_FOLDS = 5


@dataclass(frozen=True)
class IsotonicMap:
    """A fitted isotonic regression, kept as the points of its piecewise-linear curve.

    Storing the points rather than the scikit-learn object keeps a fitted estimator plain data
    (JSON-ready); applying it with :func:`numpy.interp` gives what ``IsotonicRegression.predict``
    gives with ``out_of_bounds="clip"``.

    Attributes:
        x: Increasing input probabilities.
        y: Calibrated probability at each point of ``x``.
    """

    x: tuple[float, ...]
    y: tuple[float, ...]

    def apply(self, scores: FloatArray) -> FloatArray:
        """Return the calibrated probability of each score."""
        calibrated: FloatArray = np.interp(scores, self.x, self.y)
        return calibrated


def apply_calibration_map(isotonic: IsotonicMap | None, scores: FloatArray) -> FloatArray:
    """Return ``scores`` through ``isotonic``, or unchanged when there is no map."""
    return scores if isotonic is None else isotonic.apply(scores)


def _isotonic_map(scores: FloatArray, outcomes: NDArray[np.bool_]) -> IsotonicMap:
    regression = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    regression.fit(scores, outcomes.astype(np.float64))
    return IsotonicMap(
        x=tuple(regression.X_thresholds_.tolist()), y=tuple(regression.y_thresholds_.tolist())
    )


def fit_calibration_map(
    scores: FloatArray,
    outcomes: NDArray[np.bool_],
    *,
    calibration: CalibrationMode,
    rng: np.random.Generator,
) -> IsotonicMap | None:
    """Fit one class's isotonic map, or return ``None`` when its raw scores should be kept.

    Args:
        scores: The class's predicted probability on each reference row.
        outcomes: Whether each reference row is of the class.
        calibration: ``"auto"`` fits a map only when it lowers the out-of-fold calibration
            error; ``"always"`` and ``"never"`` force the choice.
        rng: Source of the fold assignment used by ``"auto"``.

    Returns:
        The map, or ``None`` to use the raw scores.
    """
    if calibration == "never":
        return None
    if calibration == "auto" and not _calibration_helps(scores, outcomes, rng):
        return None
    return _isotonic_map(scores, outcomes)


def _calibration_helps(
    scores: FloatArray, outcomes: NDArray[np.bool_], rng: np.random.Generator
) -> bool:
    """Tell whether out-of-fold isotonic predictions are better calibrated than raw scores."""
    if len(scores) < 2 * _CALIBRATION_FOLDS:
        return False
    folds = rng.permutation(len(scores)) % _CALIBRATION_FOLDS
    out_of_fold = np.empty_like(scores)
    for fold in range(_CALIBRATION_FOLDS):
        held_out = folds == fold
        isotonic = _isotonic_map(scores[~held_out], outcomes[~held_out])
        out_of_fold[held_out] = isotonic.apply(scores[held_out])
    raw_error = expected_calibration_error(scores, outcomes)
    calibrated_error = expected_calibration_error(out_of_fold, outcomes)
    return raw_error is not None and calibrated_error is not None and calibrated_error < raw_error
