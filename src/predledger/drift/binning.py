"""Vectorised binning of feature values onto a reference profile's bins.

The ingest writer calls these on every batch to keep hourly histograms on the reference
bins, and the profile builder calls them on the reference itself, so both sides of a
histogram-mode drift test are counted by the same code.

Missing values (``None``, NaN, and also +/-inf, which Evidently treats as missing too) are
never put in a bin: they are counted on their own in ``BinCounts.missing``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt

from predledger.errors import InvalidRecordError

FloatArray = npt.NDArray[np.float64]
CountArray = npt.NDArray[np.int64]
StrArray = npt.NDArray[np.str_]
Category = str | float
#: Values of one feature: an array, or a plain sequence that may hold ``None``.
Values: TypeAlias = npt.ArrayLike | Sequence[Any]

# ``np.equal(arr, _NONE)`` compares elementwise; the 0-d object array keeps type checkers happy.
_NONE = np.array(None, dtype=object)


class BinCounts(NamedTuple):
    """Counts of values per bin, plus the values that fell in no bin because missing.

    Attributes:
        counts: one count per bin; for categories, one per category then one for
            ``"__other__"`` (every value not among the profile's categories).
        missing: how many values were ``None``, NaN or infinite.
    """

    counts: CountArray
    missing: int


def as_float_values(values: Values) -> FloatArray:
    """Return ``values`` as a float array, ``None`` becoming NaN.

    Args:
        values: numbers, possibly with ``None`` (for instance a column decoded from JSON).

    Returns:
        A one-dimensional float64 array.

    Raises:
        InvalidRecordError: a value is not a number.
    """
    arr = np.asarray(values)
    try:
        if arr.dtype == object:
            # NumPy turns None into NaN only when it builds a float array from objects.
            return np.asarray(np.where(np.equal(arr, _NONE), np.nan, arr), dtype=np.float64).ravel()
        return np.asarray(arr, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise InvalidRecordError(
            "values", f"a numeric feature holds a value that is not a number ({exc})"
        ) from exc


def split_missing_labels(values: Values) -> tuple[StrArray, int]:
    """Turn categorical values into string labels, setting missing ones apart.

    Labels are ``str(value)``: ``True`` becomes ``"True"``, ``3`` becomes ``"3"``.

    Args:
        values: strings, booleans or other objects, possibly with ``None`` or NaN.

    Returns:
        The labels of the values that are present, and how many were missing.
    """
    arr = np.asarray(values).ravel()
    if arr.dtype.kind in "fc":
        present = np.isfinite(arr)
    elif arr.dtype == object:
        # ``x != x`` is the vectorised NaN check that also works on object arrays.
        present = ~(np.equal(arr, _NONE) | np.asarray(arr != arr, dtype=bool))
    else:
        present = np.ones(arr.shape, dtype=bool)
    labels = arr[present].astype(np.str_)
    return labels, int(arr.size - labels.size)


def bin_numeric(values: Values, edges: Sequence[float] | FloatArray) -> BinCounts:
    """Count numeric values per bin.

    Bins are closed on the left and open on the right, ``[edges[i], edges[i + 1])``. With
    the profile's edges (``-inf`` first, ``+inf`` last), every finite value falls in a bin,
    those below or above the reference range in the outer bins.

    Args:
        values: the values of one feature.
        edges: increasing bin edges, ``len(edges) - 1`` bins.

    Returns:
        Counts per bin and the number of missing values.
    """
    edge_arr = np.asarray(edges, dtype=np.float64)
    n_bins = edge_arr.size - 1
    if n_bins < 1 or np.any(np.diff(edge_arr) <= 0):
        raise InvalidRecordError("edges", "need at least two strictly increasing bin edges")
    x = as_float_values(values)
    present = np.isfinite(x)
    finite = x[present]
    # Only the inner edges decide the bin; values beyond the outer edges are clamped into
    # the outer bins, which is what makes -inf/+inf outer edges work.
    inner = edge_arr[1:-1]
    if is_ascending(finite):  # exact mode's columns: where each edge falls is enough
        below = np.searchsorted(finite, inner, side="left")
        counts = np.diff(below, prepend=0, append=finite.size).astype(np.int64)
    else:
        index = np.searchsorted(inner, finite, side="right")
        counts = np.bincount(index, minlength=n_bins).astype(np.int64)
    return BinCounts(counts, int(x.size - finite.size))


def is_ascending(values: FloatArray) -> bool:
    """Whether ``values`` (without NaN) are sorted in ascending order: one cheap pass."""
    return bool(np.all(values[:-1] <= values[1:]))


def bin_categorical(values: Values, categories: Sequence[Category]) -> BinCounts:
    """Count categorical values per category, pooling unknown ones in ``"__other__"``.

    When every category is a number (a numeric feature with few distinct values), values
    are matched as numbers; otherwise they are matched by their string labels.

    Args:
        values: the values of one feature.
        categories: the profile's categories.

    Returns:
        ``len(categories) + 1`` counts, the last for ``"__other__"``, and the number of
        missing values.
    """
    numeric = bool(categories) and all(
        isinstance(c, int | float) and not isinstance(c, bool) for c in categories
    )
    if numeric:
        x = as_float_values(values)
        present = x[np.isfinite(x)]
        index = match_categories(present, np.asarray(categories, dtype=np.float64))
        missing = int(x.size - present.size)
    else:
        labels, missing = split_missing_labels(values)
        cats = np.asarray([str(c) for c in categories], dtype=np.str_)
        index = match_categories(labels, cats)
    counts = np.bincount(index, minlength=len(categories) + 1).astype(np.int64)
    return BinCounts(counts, missing)


def count_categories_on_union(
    reference: Values, current: Values, value_type: str
) -> tuple[BinCounts, BinCounts]:
    """Count two raw samples over every category either of them holds.

    Args:
        reference: raw reference values of a categorical feature.
        current: raw current values of the same feature.
        value_type: ``"number"`` to match values as numbers, else as string labels.

    Returns:
        Reference and current counts on the sorted union of categories (no
        ``"__other__"`` cell), each with its number of missing values.
    """
    if value_type == "number":
        ref_all, cur_all = as_float_values(reference), as_float_values(current)
        ref_labels: npt.NDArray[Any] = ref_all[np.isfinite(ref_all)]
        cur_labels: npt.NDArray[Any] = cur_all[np.isfinite(cur_all)]
        ref_missing = ref_all.size - ref_labels.size
        cur_missing = cur_all.size - cur_labels.size
    else:
        ref_labels, ref_missing = split_missing_labels(reference)
        cur_labels, cur_missing = split_missing_labels(current)
    categories = np.unique(np.concatenate((ref_labels, cur_labels)))
    n = categories.size
    ref_counts = np.bincount(match_categories(ref_labels, categories), minlength=n)
    cur_counts = np.bincount(match_categories(cur_labels, categories), minlength=n)
    return BinCounts(ref_counts[:n], int(ref_missing)), BinCounts(cur_counts[:n], int(cur_missing))


def match_categories(
    values: npt.NDArray[np.generic], categories: npt.NDArray[np.generic]
) -> CountArray:
    """Return each value's position in ``categories``, or ``len(categories)`` if absent.

    Args:
        values: labels (strings or floats) of the present values.
        categories: the known categories, of the same kind.

    Returns:
        An integer index per value.
    """
    n = categories.size
    if n == 0:
        return np.zeros(values.size, dtype=np.int64)
    order = np.argsort(categories, kind="stable")
    ordered = categories[order]
    pos = np.minimum(np.searchsorted(ordered, values), n - 1)
    found = ordered[pos] == values
    return np.where(found, order[pos], n).astype(np.int64)
