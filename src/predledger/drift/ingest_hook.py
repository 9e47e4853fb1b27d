"""The ingest side of drift: hourly histograms on the reference bins, kept by the bulk writer.

``FeatureHistogramHook`` runs inside every batch's write transaction (see
``predledger.ingest.hooks``). For each model version that is active and has a reference
profile, it counts the batch's feature values on the profile's bins, per hour, with NumPy,
and adds the counts to ``feature_histograms`` (``INSERT ... ON CONFLICT DO UPDATE``, keys
sorted so concurrent writers take row locks in one order and never deadlock).

The active versions' profiles are cached and looked up again every ``refresh_interval``
seconds (one indexed query; a profile is parsed only when a new version becomes active), so
when no model has a profile a batch costs one dictionary check. A value that cannot be
binned (a string in a numeric feature) counts as missing: ingest never fails on it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from predledger.drift.binning import BinCounts, FloatArray, match_categories
from predledger.drift.models import MISSING_BIN
from predledger.drift.profile import FeatureProfile, ReferenceProfile
from predledger.errors import InvalidRecordError
from predledger.ingest.records import parsed_inputs
from predledger.store.dialect import Dialect, RowsStatement

logger = logging.getLogger(__name__)

HOUR_MICROS = 3_600_000_000
DEFAULT_REFRESH_INTERVAL = 10.0
HISTOGRAM_COLUMNS = ("model_name", "model_version", "hour", "feature", "bin", "count")

IntArray = npt.NDArray[np.int64]
HistogramRow = tuple[str, str, int, str, int, int]
VersionKey = tuple[str, str]


@dataclass(frozen=True)
class FeatureBins:
    """One feature's reference bins, ready for vectorised counting (ingest and exact mode)."""

    name: str
    kind: str
    value_type: str
    inner_edges: FloatArray
    categories: npt.NDArray[Any]
    n_bins: int
    lookup: dict[str, int]

    @classmethod
    def of(cls, feature: FeatureProfile) -> FeatureBins:
        inner = np.asarray(feature.edges[1:-1], dtype=np.float64)
        if feature.value_type == "number":
            categories: npt.NDArray[Any] = np.asarray(feature.categories, dtype=np.float64)
        else:
            categories = np.asarray([str(c) for c in feature.categories], dtype=np.str_)
        lookup = {str(c): i for i, c in enumerate(feature.categories)}
        return cls(
            feature.name, feature.kind, feature.value_type, inner, categories, feature.n_bins,
            lookup,
        )  # fmt: skip

    def count(self, values: list[Any]) -> BinCounts:
        """Count values on the bins, as ingest does (unusable values count as missing)."""
        cells = np.bincount(self.bin_index(values) + 1, minlength=self.n_bins + 1)
        return BinCounts(cells[1:].astype(np.int64), int(cells[0]))

    def bin_index(self, values: list[Any]) -> IntArray:
        """Each value's bin, ``MISSING_BIN`` for a missing or unusable value."""
        if self.kind == "numeric":
            x = as_floats(values)
            present = np.isfinite(x)
            index = np.searchsorted(self.inner_edges, x, side="right").astype(np.int64)
            return np.where(present, index, MISSING_BIN)
        if self.value_type == "number":
            x = as_floats(values)
            present = np.isfinite(x)
            found = match_categories(np.where(present, x, 0.0), self.categories)
            return np.where(present, found, MISSING_BIN)
        # Labels are matched by their text (``str(value)``), as the profile was built.
        get, other = self.lookup.get, len(self.categories)
        codes = [get(v, other) if v.__class__ is str else self._code(v, other) for v in values]
        return np.asarray(codes, dtype=np.int64)

    def _code(self, value: Any, other: int) -> int:
        if _is_missing(value):
            return MISSING_BIN
        return self.lookup.get(str(value), other)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def as_floats(values: Sequence[Any]) -> FloatArray:
    """Values as floats: ``None`` and anything that is not a number become NaN."""
    try:
        return np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return np.fromiter((_to_float(v) for v in values), dtype=np.float64, count=len(values))


def _to_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


@dataclass(frozen=True)
class _VersionBins:
    features: tuple[FeatureBins, ...]


def features_of(record: dict[str, Any]) -> dict[str, Any] | None:
    """A prediction record's features as a mapping, or ``None`` when it has none."""
    inputs = parsed_inputs(record)
    if isinstance(inputs, dict):
        return inputs
    names = record.get("feature_names")
    if isinstance(inputs, list) and names and len(names) == len(inputs):
        return dict(zip(names, inputs, strict=True))
    return None


def count_histograms(
    bins: _VersionBins, key: VersionKey, records: list[dict[str, Any]]
) -> list[HistogramRow]:
    """Count one version's records on its bins, per hour: one row per non-empty cell."""
    inputs = [features_of(r) for r in records]
    kept = [i for i, features in enumerate(inputs) if features is not None]
    if not kept:
        return []
    rows_inputs: list[dict[str, Any]] = [inputs[i] for i in kept]  # type: ignore[misc]
    ts = np.fromiter((records[i]["ts"] for i in kept), dtype=np.int64, count=len(kept))
    hours, hour_index = np.unique(ts - ts % HOUR_MICROS, return_inverse=True)
    rows: list[HistogramRow] = []
    for feature in bins.features:
        values = [features.get(feature.name) for features in rows_inputs]
        cell = hour_index * (feature.n_bins + 1) + (feature.bin_index(values) + 1)
        counts = np.bincount(cell, minlength=hours.size * (feature.n_bins + 1))
        for flat in np.flatnonzero(counts):
            hour, slot = divmod(int(flat), feature.n_bins + 1)
            rows.append((*key, int(hours[hour]), feature.name, slot - 1, int(counts[flat])))
    return rows


class FeatureHistogramHook:
    """A ``BatchHook`` that keeps ``feature_histograms`` for the active versions' profiles.

    Args:
        refresh_interval: seconds between looks at which versions are active.
        clock: the monotonic clock (a seam for tests).
    """

    def __init__(
        self,
        *,
        refresh_interval: float = DEFAULT_REFRESH_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.refresh_interval = refresh_interval
        self._clock = clock
        self._checked_at: float | None = None
        self._by_id: dict[int, tuple[VersionKey, _VersionBins | None]] = {}
        self._active: dict[VersionKey, _VersionBins] = {}
        self._sql: dict[str, RowsStatement] = {}

    def __call__(self, raw: Any, dialect: Dialect, predictions: list[dict[str, Any]]) -> None:
        """Add this batch's feature values to the hourly histograms."""
        if not predictions:
            return
        self._refresh_if_due(raw, dialect)
        if not self._active:
            return
        groups: dict[VersionKey, list[dict[str, Any]]] = {}
        active = self._active
        for record in predictions:
            key = (record["model"], record["version"])
            if key in active:
                groups.setdefault(key, []).append(record)
        rows: list[HistogramRow] = []
        for key, records in groups.items():
            rows.extend(count_histograms(active[key], key, records))
        if rows:
            self._write(raw, dialect, rows)

    def refresh(self, raw: Any, dialect: Dialect) -> None:
        """Look up the active versions now, parsing the profiles of newly active ones."""
        cursor = raw.cursor()
        try:
            cursor.execute(
                "SELECT id, name, version FROM model_versions WHERE is_active ORDER BY id"
            )
            active = [(int(i), str(n), str(v)) for i, n, v in cursor.fetchall()]
            by_id = {}
            for version_id, name, version in active:
                known = self._by_id.get(version_id)
                if known is None:
                    known = ((name, version), self._load(cursor, dialect, version_id))
                by_id[version_id] = known
        finally:
            cursor.close()
        self._by_id = by_id
        self._active = {key: bins for key, bins in by_id.values() if bins is not None}

    def _refresh_if_due(self, raw: Any, dialect: Dialect) -> None:
        now = self._clock()
        if self._checked_at is None or now - self._checked_at >= self.refresh_interval:
            self.refresh(raw, dialect)
            self._checked_at = now

    def _load(self, cursor: Any, dialect: Dialect, version_id: int) -> _VersionBins | None:
        cursor.execute(
            f"SELECT reference_profile FROM model_versions WHERE id = {dialect.placeholders(1)}",
            (version_id,),
        )
        found = cursor.fetchone()
        data = None if found is None else found[0]
        if isinstance(data, str | bytes):
            data = orjson.loads(data)
        if not data:
            return None
        try:
            profile = ReferenceProfile.from_dict(data)
        except (InvalidRecordError, KeyError, TypeError) as exc:
            logger.warning("model version %s: unreadable reference profile (%s)", version_id, exc)
            return None
        return _VersionBins(tuple(FeatureBins.of(f) for f in profile.features))

    def _write(self, raw: Any, dialect: Dialect, rows: list[HistogramRow]) -> None:
        sql = self._sql.get(dialect.name)
        if sql is None:
            sql = self._sql[dialect.name] = dialect.upsert_adding(
                "feature_histograms", HISTOGRAM_COLUMNS, HISTOGRAM_COLUMNS[:5], add=("count",)
            )
        ts = dialect.timestamp_param
        cursor = raw.cursor()
        try:
            # Sorted keys: concurrent writers lock the same rows in the same order.
            sql.execute(cursor, [(m, v, ts(h), f, b, c) for m, v, h, f, b, c in sorted(rows)])
        finally:
            cursor.close()
