"""Drift verdicts per feature and per dataset, with Evidently's default methods.

Method choice (Evidently's defaults): when the reference has at most 1,000 values of a
feature, KS for numeric features and chi-square for categorical ones, drift when the
p-value is below 0.05; above 1,000, normed Wasserstein for numeric and Jensen-Shannon for
categorical, drift when the statistic reaches 0.1. PSI (drift at 0.1) is available by
override. Numeric features with five or fewer distinct reference values were already
profiled as categorical.

Two modes:

- ``"histogram"``: ``current`` holds counts on the profile's bins (what ingest keeps per
  hour), so a report costs the same for any window. KS and Wasserstein are then binned
  approximations (see ``binned_ks_test`` and ``binned_wasserstein_normed``).
- ``"exact"``: ``current`` holds raw values. KS and Wasserstein use the raw reference when
  it is passed, otherwise the profile's sample (the whole reference when it had at most
  ``sample_size`` values, which covers every reference where KS is the default). Count
  methods use the raw reference binned on the profile's bins when passed, otherwise the
  profile's counts, which are exact. Categorical features with a raw reference are counted
  over every category seen on either side, with no top-k pooling.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any, Literal, TypeAlias, get_args

import numpy as np

from predledger.drift.binning import (
    BinCounts,
    FloatArray,
    Values,
    as_float_values,
    count_categories_on_union,
)
from predledger.drift.columns import Columns, as_columns
from predledger.drift.profile import FeatureKind, FeatureProfile, ReferenceProfile
from predledger.drift.statistics import (
    binned_ks_test,
    binned_wasserstein_normed,
    chi_square_test,
    jensen_shannon,
    ks_test,
    psi,
    wasserstein_normed,
)
from predledger.errors import ConfigurationError, InvalidRecordError

Method = Literal["ks", "chisquare", "wasserstein", "jensenshannon", "psi"]
Mode = Literal["histogram", "exact"]
CurrentCounts: TypeAlias = BinCounts | Values

METHODS: tuple[Method, ...] = get_args(Method)
#: Methods whose threshold is on the p-value (drift when below) rather than the statistic.
P_VALUE_METHODS = frozenset({"ks", "chisquare"})
NUMERIC_ONLY_METHODS = frozenset({"ks", "wasserstein"})
DEFAULT_THRESHOLDS: Mapping[Method, float] = MappingProxyType(
    {"ks": 0.05, "chisquare": 0.05, "wasserstein": 0.1, "jensenshannon": 0.1, "psi": 0.1}
)
#: Largest reference for which the p-value tests are the default.
SMALL_REFERENCE_ROWS = 1000

_Outcome: TypeAlias = tuple[float, float | None]


def _chi_square(ref: FloatArray, cur: FloatArray) -> _Outcome:
    result = chi_square_test(ref, cur)
    return result.statistic, result.p_value


_COUNT_TESTS: Mapping[str, Callable[[FloatArray, FloatArray], _Outcome]] = MappingProxyType(
    {
        "chisquare": _chi_square,
        "jensenshannon": lambda ref, cur: (jensen_shannon(ref, cur), None),
        "psi": lambda ref, cur: (psi(ref, cur), None),
    }
)


@dataclass(frozen=True, slots=True)
class DriftOverride:
    """A per-feature choice of method and/or threshold; ``None`` keeps the default."""

    method: Method | None = None
    threshold: float | None = None


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """The drift verdict on one feature.

    Attributes:
        feature: the feature name.
        kind: ``"numeric"`` or ``"categorical"``.
        method: the method used.
        threshold: drift when ``p_value < threshold`` (KS, chi-square) or
            ``statistic >= threshold`` (the distances).
        statistic: the test statistic or distance; ``None`` when a side had no values.
        p_value: the p-value for KS and chi-square, else ``None``.
        drifted: whether the feature drifted (never when ``statistic`` is ``None``).
        reference_size: reference values the test used.
        current_size: current values the test used (missing ones excluded).
        current_missing: current values that were missing.
    """

    feature: str
    kind: FeatureKind
    method: Method
    threshold: float
    statistic: float | None
    p_value: float | None
    drifted: bool
    reference_size: int
    current_size: int
    current_missing: int

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of the fields."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class DatasetDrift:
    """The drift verdict on a dataset.

    Attributes:
        features: the per-feature verdicts, in profile order.
        mode: ``"histogram"`` or ``"exact"``.
        drift_share: share of drifted features at which the dataset drifts.
        n_features: features evaluated (those with values on both sides).
        n_drifted: features that drifted.
        share_drifted: ``n_drifted / n_features`` (0 when nothing was evaluated).
        dataset_drift: whether ``share_drifted >= drift_share``.
        drift_score: the dataset's score, ``share_drifted``.
    """

    features: tuple[FeatureDrift, ...]
    mode: Mode
    drift_share: float
    n_features: int
    n_drifted: int
    share_drifted: float
    dataset_drift: bool
    drift_score: float

    @property
    def drifted_features(self) -> tuple[str, ...]:
        """Names of the drifted features."""
        return tuple(f.feature for f in self.features if f.drifted)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict, with ``drifted_features`` included."""
        return {**asdict(self), "drifted_features": list(self.drifted_features)}


def default_method(feature: FeatureProfile) -> Method:
    """Return Evidently's default method for a feature's reference.

    Args:
        feature: the feature's reference profile.

    Returns:
        ``"ks"`` / ``"chisquare"`` up to ``SMALL_REFERENCE_ROWS`` reference values,
        ``"wasserstein"`` / ``"jensenshannon"`` above.
    """
    small = feature.count <= SMALL_REFERENCE_ROWS
    if feature.kind == "numeric":
        return "ks" if small else "wasserstein"
    return "chisquare" if small else "jensenshannon"


def compute_feature_drift(
    feature: FeatureProfile,
    current: CurrentCounts,
    *,
    mode: Mode = "histogram",
    reference: Values | None = None,
    method: Method | None = None,
    threshold: float | None = None,
) -> FeatureDrift:
    """Test one feature for drift against its reference profile.

    Args:
        feature: the feature's reference profile.
        current: in histogram mode, counts on the profile's bins (a ``BinCounts`` or the
            bare counts); in exact mode, the raw current values.
        mode: ``"histogram"`` or ``"exact"`` (see the module docstring).
        reference: exact mode only: the raw reference values; the profile is used if
            ``None``.
        method: overrides ``default_method(feature)``.
        threshold: overrides the method's default threshold.

    Returns:
        The verdict.

    Raises:
        ConfigurationError: unknown method or mode, a numbers-only method on a categorical
            feature, or a negative threshold.
        InvalidRecordError: current counts do not match the profile's bins.
    """
    chosen = _check_method(feature, method or default_method(feature))
    limit = DEFAULT_THRESHOLDS[chosen] if threshold is None else float(threshold)
    if not np.isfinite(limit) or limit < 0:
        raise ConfigurationError(f"feature {feature.name!r}: threshold must be >= 0, got {limit}")
    if mode == "histogram":
        outcome, sizes = _histogram_outcome(feature, chosen, _as_bin_counts(feature, current))
    elif mode == "exact":
        outcome, sizes = _exact_outcome(feature, chosen, current, reference)
    else:
        raise ConfigurationError(f"drift mode must be 'histogram' or 'exact', got {mode!r}")
    statistic, p_value = outcome if outcome is not None else (None, None)
    if p_value is not None:
        drifted = p_value < limit
    else:
        drifted = statistic is not None and statistic >= limit
    ref_size, cur_size, cur_missing = sizes
    return FeatureDrift(
        feature=feature.name,
        kind=feature.kind,
        method=chosen,
        threshold=limit,
        statistic=statistic,
        p_value=p_value,
        drifted=drifted,
        reference_size=ref_size,
        current_size=cur_size,
        current_missing=cur_missing,
    )


def compute_dataset_drift(
    profile: ReferenceProfile,
    current: Mapping[str, CurrentCounts] | Columns,
    *,
    mode: Mode = "histogram",
    reference: Columns | None = None,
    overrides: Mapping[str, DriftOverride] | None = None,
    drift_share: float = 0.5,
) -> DatasetDrift:
    """Test every profiled feature for drift and decide whether the dataset drifted.

    Features absent from ``current`` are reported with no statistic and left out of the
    share; columns of ``current`` that are not in the profile are ignored.

    Args:
        profile: the reference profile.
        current: in histogram mode, a mapping of feature name to counts on its bins; in
            exact mode, raw current values by column (a mapping or a pandas DataFrame).
        mode: ``"histogram"`` or ``"exact"``.
        reference: exact mode only: the raw reference dataset; the profile is used for
            features it lacks.
        overrides: per-feature method and/or threshold.
        drift_share: the dataset drifts when at least this share of the evaluated
            features drifted (Evidently's default, 0.5).

    Returns:
        The per-feature verdicts and the dataset verdict.

    Raises:
        ConfigurationError: an override names a feature not in the profile, or a setting
            is invalid.
    """
    if mode not in ("histogram", "exact"):
        raise ConfigurationError(f"drift mode must be 'histogram' or 'exact', got {mode!r}")
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(profile.names))
    if unknown:
        raise ConfigurationError(f"drift overrides name unknown features {unknown}")
    if not 0.0 < drift_share <= 1.0:
        raise ConfigurationError(f"drift_share must be in (0, 1], got {drift_share}")
    cur = _current_columns(current, mode)
    ref = as_columns(reference) if reference is not None else {}
    results = tuple(
        compute_feature_drift(
            feature,
            cur.get(feature.name, _absent(feature, mode)),
            mode=mode,
            reference=ref.get(feature.name),
            method=overrides.get(feature.name, DriftOverride()).method,
            threshold=overrides.get(feature.name, DriftOverride()).threshold,
        )
        for feature in profile.features
    )
    evaluated = sum(r.statistic is not None for r in results)
    drifted = sum(r.drifted for r in results)
    share = drifted / evaluated if evaluated else 0.0
    return DatasetDrift(
        features=results,
        mode=mode,
        drift_share=drift_share,
        n_features=evaluated,
        n_drifted=drifted,
        share_drifted=share,
        dataset_drift=evaluated > 0 and share >= drift_share,
        drift_score=share,
    )


def _check_method(feature: FeatureProfile, method: str) -> Method:
    if method not in METHODS:
        raise ConfigurationError(
            f"feature {feature.name!r}: unknown drift method {method!r}; use one of {METHODS}"
        )
    if method in NUMERIC_ONLY_METHODS and feature.kind != "numeric":
        raise ConfigurationError(
            f"feature {feature.name!r} is categorical; {method!r} needs numbers, "
            "use 'chisquare', 'jensenshannon' or 'psi'"
        )
    return method


_Sizes: TypeAlias = tuple[int, int, int]


def _histogram_outcome(
    feature: FeatureProfile, method: Method, current: BinCounts
) -> tuple[_Outcome | None, _Sizes]:
    ref = np.asarray(feature.counts, dtype=np.float64)
    cur = current.counts.astype(np.float64)
    sizes = (int(ref.sum()), int(cur.sum()), current.missing)
    if ref.sum() == 0 or cur.sum() == 0:
        return None, sizes
    if method == "ks":
        result = binned_ks_test(ref, cur)
        return (result.statistic, result.p_value), sizes
    if method == "wasserstein":
        std = feature.std or 0.0
        return (binned_wasserstein_normed(ref, cur, feature.bin_values, std), None), sizes
    return _COUNT_TESTS[method](ref, cur), sizes


def _exact_outcome(
    feature: FeatureProfile, method: Method, current: Any, reference: Any
) -> tuple[_Outcome | None, _Sizes]:
    if method in NUMERIC_ONLY_METHODS:
        return _exact_sample_outcome(feature, method, current, reference)
    if feature.kind == "categorical" and reference is not None:
        ref_counts, cur_counts = count_categories_on_union(reference, current, feature.value_type)
    elif reference is not None:
        ref_counts, cur_counts = feature.bin(reference), feature.bin(current)
    else:
        profile_counts = np.asarray(feature.counts, dtype=np.int64)
        ref_counts, cur_counts = BinCounts(profile_counts, feature.missing), feature.bin(current)
    ref = ref_counts.counts.astype(np.float64)
    cur = cur_counts.counts.astype(np.float64)
    sizes = (int(ref.sum()), int(cur.sum()), cur_counts.missing)
    if ref.sum() == 0 or cur.sum() == 0:
        return None, sizes
    return _COUNT_TESTS[method](ref, cur), sizes


def _exact_sample_outcome(
    feature: FeatureProfile, method: Method, current: Any, reference: Any
) -> tuple[_Outcome | None, _Sizes]:
    cur_all = as_float_values(current)
    cur = cur_all[np.isfinite(cur_all)]
    if reference is None:
        ref = np.asarray(feature.sample, dtype=np.float64)
        std = feature.std
    else:
        ref_all = as_float_values(reference)
        ref = ref_all[np.isfinite(ref_all)]
        std = None
    sizes = (int(ref.size), int(cur.size), int(cur_all.size - cur.size))
    if ref.size == 0 or cur.size == 0:
        return None, sizes
    if method == "ks":
        result = ks_test(ref, cur)
        return (result.statistic, result.p_value), sizes
    return (wasserstein_normed(ref, cur, reference_std=std), None), sizes


def _as_bin_counts(feature: FeatureProfile, current: CurrentCounts) -> BinCounts:
    if isinstance(current, BinCounts):
        counts, missing = np.asarray(current.counts), current.missing
    else:
        counts, missing = np.asarray(current), 0
    if counts.shape != (feature.n_bins,):
        raise InvalidRecordError(
            feature.name,
            f"expected {feature.n_bins} counts on the reference bins, got shape {counts.shape};"
            " was the histogram built from another profile?",
        )
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise InvalidRecordError(feature.name, "histogram counts must be finite and >= 0")
    return BinCounts(counts.astype(np.int64), int(missing))


def _current_columns(current: Any, mode: Mode) -> Mapping[str, Any]:
    if mode == "exact":
        return as_columns(current)
    if not isinstance(current, Mapping):
        raise InvalidRecordError("current", "histogram mode needs a mapping of feature -> counts")
    return current


def _absent(feature: FeatureProfile, mode: Mode) -> CurrentCounts:
    if mode == "histogram":
        return BinCounts(np.zeros(feature.n_bins, dtype=np.int64), 0)
    return np.empty(0, dtype=np.float64)
