"""Building a reference profile from a reference dataset.

Columns with a numeric dtype are binned on quantiles; other columns are counted per
category. Numeric features with at most ``max_discrete_values`` (default 5) distinct values
in the reference are profiled as categorical, as Evidently does. Evidently counts the
distinct values of reference and current together; here the decision is taken once, on
the reference, because histogram mode never sees current raw values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt

from predledger.drift.binning import (
    FloatArray,
    as_float_values,
    bin_numeric,
    split_missing_labels,
)
from predledger.drift.columns import Columns, as_columns
from predledger.drift.profile import FeatureKind, FeatureProfile, ReferenceProfile, ValueType
from predledger.errors import InvalidRecordError


def build_reference_profile(
    data: Columns,
    *,
    n_bins: int = 10,
    top_k: int = 50,
    sample_size: int = 1000,
    seed: int = 0,
    kinds: Mapping[str, FeatureKind] | None = None,
    max_discrete_values: int = 5,
) -> ReferenceProfile:
    """Profile a reference dataset.

    Columns with a numeric dtype are numeric features; other columns (strings, booleans,
    objects) are categorical. ``kinds`` overrides that guess, for instance to profile a
    column of Python floats with ``None`` (an object array) as numeric, or integer codes
    as categorical. Every feature is sampled with its own ``default_rng(seed)``, so
    features without missing values are sampled on the same rows.

    Args:
        data: columns by name, or a pandas DataFrame.
        n_bins: quantile bins per numeric feature; equal quantiles merge, so ties may
            leave fewer.
        top_k: categories kept per categorical feature; the rest pool into
            ``"__other__"``.
        sample_size: bound of each numeric feature's random sample.
        seed: seed of the sampling RNG.
        kinds: per-column ``"numeric"`` or ``"categorical"``, overriding the guess.
        max_discrete_values: numeric features with at most this many distinct values are
            profiled as categorical.

    Returns:
        The reference profile.

    Raises:
        InvalidRecordError: columns differ in length, a parameter is out of range, or a
            column declared numeric holds non-numbers.
    """
    if n_bins < 1 or top_k < 1 or sample_size < 0:
        raise InvalidRecordError(
            "profile", "n_bins and top_k must be at least 1, sample_size at least 0"
        )
    columns = as_columns(data)
    lengths = {values.size for values in columns.values()}
    if len(lengths) > 1:
        raise InvalidRecordError("data", f"columns differ in length: {sorted(lengths)}")
    kinds = kinds or {}
    settings = _Settings(n_bins, top_k, sample_size, seed, max_discrete_values)
    features = tuple(
        _profile_column(name, values, kinds.get(name), settings) for name, values in columns.items()
    )
    return ReferenceProfile(
        features=features,
        rows=lengths.pop() if lengths else 0,
        n_bins=n_bins,
        top_k=top_k,
        sample_size=sample_size,
        seed=seed,
    )


class _Summary(TypedDict):
    mean: float | None
    std: float | None
    min_value: float | None
    max_value: float | None


@dataclass(frozen=True, slots=True)
class _Settings:
    n_bins: int
    top_k: int
    sample_size: int
    seed: int
    max_discrete_values: int


def _profile_column(
    name: str, values: npt.NDArray[Any], kind: FeatureKind | None, settings: _Settings
) -> FeatureProfile:
    numeric_dtype = values.dtype.kind in "iuf"
    if kind == "numeric" or (kind is None and numeric_dtype):
        return _profile_numbers(name, as_float_values(values), settings)
    if numeric_dtype:
        return _profile_categories(name, as_float_values(values), settings)
    labels, missing = split_missing_labels(values)
    return _categorical(name, labels, missing, settings.top_k, "string", _summary(np.empty(0)))


def _profile_numbers(name: str, x: FloatArray, settings: _Settings) -> FeatureProfile:
    present = x[np.isfinite(x)]
    unique = np.unique(present).size
    if present.size == 0 or unique <= settings.max_discrete_values:
        return _profile_categories(name, x, settings)
    inner = np.unique(np.quantile(present, np.linspace(0.0, 1.0, settings.n_bins + 1)[1:-1]))
    edges = np.concatenate(([-np.inf], inner, [np.inf]))
    counts = bin_numeric(present, edges).counts
    rng = np.random.default_rng(settings.seed)
    size = min(settings.sample_size, present.size)
    sample = rng.choice(present, size=size, replace=False) if size < present.size else present
    return FeatureProfile(
        name=name,
        kind="numeric",
        value_type="number",
        count=int(present.size),
        missing=int(x.size - present.size),
        unique=int(unique),
        counts=tuple(counts.tolist()),
        edges=tuple(edges.tolist()),
        bin_values=tuple(_bin_means(present, edges, counts).tolist()),
        sample=tuple(sample.tolist()),
        **_summary(present),
    )


def _profile_categories(name: str, x: FloatArray, settings: _Settings) -> FeatureProfile:
    present = x[np.isfinite(x)]
    missing = int(x.size - present.size)
    return _categorical(name, present, missing, settings.top_k, "number", _summary(present))


def _categorical(
    name: str,
    labels: npt.NDArray[Any],
    missing: int,
    top_k: int,
    value_type: ValueType,
    summary: _Summary,
) -> FeatureProfile:
    uniq, uniq_counts = np.unique(labels, return_counts=True)
    # np.unique sorts the labels, so a stable sort on -count breaks ties by label.
    keep = np.argsort(-uniq_counts, kind="stable")[:top_k]
    kept_counts = uniq_counts[keep]
    other = int(uniq_counts.sum() - kept_counts.sum())
    return FeatureProfile(
        name=name,
        kind="categorical",
        value_type=value_type,
        count=int(labels.size),
        missing=missing,
        unique=int(uniq.size),
        counts=(*kept_counts.tolist(), other),
        categories=tuple(uniq[keep].tolist()),
        **summary,
    )


def _summary(present: FloatArray) -> _Summary:
    if present.size == 0:
        return {"mean": None, "std": None, "min_value": None, "max_value": None}
    return {
        "mean": float(present.mean()),
        "std": float(present.std()),
        "min_value": float(present.min()),
        "max_value": float(present.max()),
    }


def _bin_means(present: FloatArray, edges: FloatArray, counts: npt.NDArray[np.int64]) -> FloatArray:
    """Mean reference value per bin; the clamped midpoint for a bin with no reference value."""
    index = np.searchsorted(edges[1:-1], present, side="right")
    sums = np.bincount(index, weights=present, minlength=counts.size)
    lower = np.maximum(edges[:-1], present.min())
    upper = np.minimum(edges[1:], present.max())
    midpoints = (lower + upper) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    return np.where(counts > 0, means, midpoints)
