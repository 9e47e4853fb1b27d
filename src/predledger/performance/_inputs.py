"""Validation and shaping of label and probability arrays shared by metrics and estimation.

Everything here is vectorised: labels are mapped to class indices with one sorted search, and
probabilities of any accepted shape become one ``(n_rows, n_classes)`` float matrix whose
columns follow the order of ``classes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

ClassLabel: TypeAlias = str | int | float
"""A class label as the model emits it (``"yes"``, ``1``, ...)."""

FloatArray: TypeAlias = NDArray[np.float64]
IndexArray: TypeAlias = NDArray[np.intp]
LabelArray: TypeAlias = NDArray[Any]


def as_label_array(values: ArrayLike, *, name: str) -> LabelArray:
    """Return ``values`` as a one-dimensional NumPy array, naming the argument on failure."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def check_same_length(**arrays: LabelArray | FloatArray) -> int:
    """Return the common row count of ``arrays`` or raise naming the ones that differ."""
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name}={length}" for name, length in lengths.items())
        raise ValueError(f"arrays must have the same number of rows, got {described}")
    return next(iter(lengths.values()), 0)


def resolve_classes(
    classes: Sequence[ClassLabel] | ArrayLike | None, *observed: LabelArray
) -> tuple[ClassLabel, ...]:
    """Return the explicit ``classes`` or, when absent, the sorted labels seen in ``observed``."""
    if classes is not None:
        resolved = tuple(np.asarray(classes).tolist())
        if len(set(resolved)) != len(resolved):
            raise ValueError(f"classes must not repeat a label, got {resolved}")
        return resolved
    if not observed:
        return ()
    return tuple(np.unique(np.concatenate(observed)).tolist())


def label_indices(labels: LabelArray, classes: tuple[ClassLabel, ...], *, name: str) -> IndexArray:
    """Map each label to the position of its class in ``classes``.

    Raises:
        ValueError: if a label is not one of ``classes``; the message names the argument.
    """
    if len(labels) == 0:
        return np.zeros(0, dtype=np.intp)
    class_array = np.asarray(classes)
    sorter = np.argsort(class_array)
    try:
        positions = np.searchsorted(class_array, labels, sorter=sorter)
    except TypeError as exc:
        raise ValueError(
            f"{name} ({labels.dtype}) cannot be compared with classes {classes}: "
            "give labels and classes the same type"
        ) from exc
    indices: IndexArray = sorter[np.clip(positions, 0, len(classes) - 1)]
    unknown = class_array[indices] != labels
    if np.any(unknown):
        strangers = np.unique(labels[unknown]).tolist()[:5]
        raise ValueError(
            f"{name} holds labels that are not among classes {classes}: {strangers}; "
            "pass every class the model can emit in classes="
        )
    return indices


def probability_matrix(
    probabilities: ArrayLike,
    *,
    classes: tuple[ClassLabel, ...],
    positive_index: int | None,
) -> FloatArray:
    """Return probabilities as an ``(n_rows, n_classes)`` matrix with rows summing to one.

    A one-dimensional input holds the probability of the positive class of a binary model; a
    two-dimensional one holds one column per class, in the order of ``classes``. Rows are
    divided by their sums, because models emitting float32 probabilities miss one by more than
    scikit-learn tolerates.

    Raises:
        ValueError: on a shape that does not fit ``classes``, values outside [0, 1], or a row
            without any probability mass.
    """
    matrix = np.asarray(probabilities, dtype=np.float64)
    if matrix.ndim == 1:
        if len(classes) != 2 or positive_index is None:
            raise ValueError(
                "one-dimensional probabilities are the positive class's of a binary model; "
                f"got classes {classes}: pass one column per class instead"
            )
        columns = [1.0 - matrix, matrix] if positive_index == 1 else [matrix, 1.0 - matrix]
        matrix = np.column_stack(columns) if len(matrix) else np.zeros((0, 2))
    if matrix.ndim != 2 or matrix.shape[1] != len(classes):
        raise ValueError(
            f"probabilities must have one column per class {classes}, got shape {matrix.shape}"
        )
    if matrix.size and (np.nanmin(matrix) < 0.0 or np.nanmax(matrix) > 1.0):
        raise ValueError("probabilities must lie within [0, 1]")
    if not np.all(np.isfinite(matrix)):
        raise ValueError("probabilities must not contain NaN or infinity")
    sums = matrix.sum(axis=1, keepdims=True)
    if np.any(sums <= 0.0):
        raise ValueError("every row of probabilities must hold some probability mass")
    normalised: FloatArray = matrix / sums
    return normalised


def positive_index_of(
    classes: tuple[ClassLabel, ...], positive_class: ClassLabel | None
) -> int | None:
    """Return the column of the positive class of a binary model, ``None`` for other models.

    The default positive class is the last of ``classes``, matching column 1 of scikit-learn's
    ``predict_proba`` for a binary classifier.

    Raises:
        ValueError: if ``positive_class`` is given but is not one of ``classes``.
    """
    if positive_class is not None and positive_class not in classes:
        raise ValueError(f"positive_class {positive_class!r} is not among classes {classes}")
    if len(classes) != 2:
        return None
    return 1 if positive_class is None else classes.index(positive_class)
