"""Drift detection: reference profiles, binning, drift statistics, verdicts and reports.

The statistics are pure NumPy/SciPy: the ingest writer bins values with ``FeatureProfile.bin``
(or ``bin_numeric`` / ``bin_categorical``), and monitoring turns the hourly histograms
into verdicts with ``compute_dataset_drift``. Stored reports live in ``predledger.drift.service``
(writes), ``predledger.drift.queries`` (reads) and ``predledger.drift.operations`` (one call each).

The names that need SciPy (the statistics and the verdicts) are loaded on first use (PEP 562),
so the ingest path, which only bins values, never pays for importing SciPy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from predledger.drift.binning import BinCounts, Values, bin_categorical, bin_numeric
from predledger.drift.columns import DataFrameLike
from predledger.drift.profile import (
    OTHER_CATEGORY,
    FeatureKind,
    FeatureProfile,
    ReferenceProfile,
)
from predledger.drift.profiling import build_reference_profile

if TYPE_CHECKING:
    from predledger.drift.detection import (
        DEFAULT_THRESHOLDS,
        METHODS,
        SMALL_REFERENCE_ROWS,
        DatasetDrift,
        DriftOverride,
        FeatureDrift,
        Method,
        Mode,
        compute_dataset_drift,
        compute_feature_drift,
        default_method,
    )
    from predledger.drift.statistics import (
        StatTestResult,
        binned_ks_test,
        binned_wasserstein_normed,
        chi_square_test,
        jensen_shannon,
        ks_test,
        psi,
        wasserstein_normed,
    )

_LAZY_MODULES = {
    "predledger.drift.detection": (
        "DEFAULT_THRESHOLDS", "METHODS", "SMALL_REFERENCE_ROWS", "DatasetDrift",
        "DriftOverride", "FeatureDrift", "Method", "Mode", "compute_dataset_drift",
        "compute_feature_drift", "default_method",
    ),
    "predledger.drift.statistics": (
        "StatTestResult", "binned_ks_test", "binned_wasserstein_normed", "chi_square_test",
        "jensen_shannon", "ks_test", "psi", "wasserstein_normed",
    ),
}  # fmt: skip
_LAZY = {name: module for module, names in _LAZY_MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_THRESHOLDS",
    "METHODS",
    "OTHER_CATEGORY",
    "SMALL_REFERENCE_ROWS",
    "BinCounts",
    "DataFrameLike",
    "DatasetDrift",
    "DriftOverride",
    "FeatureDrift",
    "FeatureKind",
    "FeatureProfile",
    "Method",
    "Mode",
    "ReferenceProfile",
    "StatTestResult",
    "Values",
    "bin_categorical",
    "bin_numeric",
    "binned_ks_test",
    "binned_wasserstein_normed",
    "build_reference_profile",
    "chi_square_test",
    "compute_dataset_drift",
    "compute_feature_drift",
    "default_method",
    "jensen_shannon",
    "ks_test",
    "psi",
    "wasserstein_normed",
]
