"""Reference profiles: what a model version's reference dataset looked like, per feature.

A profile is built once per model version and stored as JSON. It holds, per numeric
feature, quantile bin edges with the reference counts per bin, summary statistics and a
bounded random sample; per categorical feature, the most frequent categories with their
counts. Ingest keeps hourly histograms on these same bins, which is what lets a drift
report cost the same whatever the number of rows in its window. ``profiling`` builds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np

from predledger.drift.binning import BinCounts, Category, Values, bin_categorical, bin_numeric
from predledger.errors import InvalidRecordError, NotFoundError

FeatureKind = Literal["numeric", "categorical"]
ValueType = Literal["number", "string"]

OTHER_CATEGORY = "__other__"
PROFILE_FORMAT = 1


@dataclass(frozen=True, slots=True)
class FeatureProfile:
    """The reference distribution of one feature.

    Attributes:
        name: the feature name.
        kind: ``"numeric"`` (binned on quantiles) or ``"categorical"``.
        value_type: ``"number"`` when values are matched as numbers, ``"string"`` when
            matched by their labels.
        count: reference values present (not missing).
        missing: reference values that were ``None``, NaN or infinite.
        unique: distinct present values in the reference.
        counts: reference count per bin; for categorical features one per category, then
            one for ``"__other__"``.
        edges: numeric bin edges, ``-inf`` first and ``+inf`` last (empty if categorical).
        bin_values: a representative value per numeric bin (the reference mean in that
            bin), used by histogram-mode Wasserstein.
        categories: the categories kept, most frequent first (empty if numeric).
        mean: mean of the present values (numbers only).
        std: population standard deviation (``ddof=0``) of the present values.
        min_value: smallest present value.
        max_value: largest present value.
        sample: a seeded random sample of the present values (numeric features only).
    """

    name: str
    kind: FeatureKind
    value_type: ValueType
    count: int
    missing: int
    unique: int
    counts: tuple[int, ...]
    edges: tuple[float, ...] = ()
    bin_values: tuple[float, ...] = ()
    categories: tuple[Category, ...] = ()
    mean: float | None = None
    std: float | None = None
    min_value: float | None = None
    max_value: float | None = None
    sample: tuple[float, ...] = ()

    @property
    def n_bins(self) -> int:
        """Number of histogram cells (categories plus ``"__other__"`` if categorical)."""
        return len(self.counts)

    def bin(self, values: Values) -> BinCounts:
        """Count ``values`` on this feature's reference bins or categories.

        Args:
            values: current values of this feature.

        Returns:
            Counts per bin and the number of missing values.
        """
        if self.kind == "numeric":
            return bin_numeric(values, self.edges)
        return bin_categorical(values, self.categories)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (strict JSON: the infinite outer edges are left out).

        Returns:
            Plain lists, numbers and strings; ``from_dict`` reverses it.
        """
        return {
            "name": self.name,
            "kind": self.kind,
            "value_type": self.value_type,
            "count": self.count,
            "missing": self.missing,
            "unique": self.unique,
            "counts": list(self.counts),
            "inner_edges": list(self.edges[1:-1]),
            "bin_values": list(self.bin_values),
            "categories": list(self.categories),
            "mean": self.mean,
            "std": self.std,
            "min": self.min_value,
            "max": self.max_value,
            "sample": list(self.sample),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureProfile:
        """Rebuild a feature profile from ``to_dict`` output.

        Args:
            data: the dict, for instance read back from a JSON column.

        Returns:
            The feature profile.

        Raises:
            InvalidRecordError: a key is missing or holds the wrong kind of value.
        """
        try:
            kind = cast(FeatureKind, str(data["kind"]))
            value_type = cast(ValueType, str(data["value_type"]))
            inner = tuple(float(e) for e in data["inner_edges"])
            convert = float if value_type == "number" else str
            return cls(
                name=str(data["name"]),
                kind=kind,
                value_type=value_type,
                count=int(data["count"]),
                missing=int(data["missing"]),
                unique=int(data["unique"]),
                counts=tuple(int(c) for c in data["counts"]),
                edges=(-np.inf, *inner, np.inf) if kind == "numeric" else (),
                bin_values=tuple(float(v) for v in data["bin_values"]),
                categories=tuple(convert(c) for c in data["categories"]),
                mean=_optional_float(data["mean"]),
                std=_optional_float(data["std"]),
                min_value=_optional_float(data["min"]),
                max_value=_optional_float(data["max"]),
                sample=tuple(float(v) for v in data["sample"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidRecordError(
                "profile", f"feature profile cannot be read ({exc!r}); rebuild the profile"
            ) from exc


@dataclass(frozen=True, slots=True)
class ReferenceProfile:
    """The reference profile of a model version: one ``FeatureProfile`` per feature.

    Attributes:
        features: the feature profiles, in the reference dataset's column order.
        rows: rows in the reference dataset.
        n_bins: requested quantile bins per numeric feature (ties may leave fewer).
        top_k: categories kept per categorical feature.
        sample_size: bound of each numeric feature's sample.
        seed: seed of the sampling RNG.
    """

    features: tuple[FeatureProfile, ...]
    rows: int
    n_bins: int = 10
    top_k: int = 50
    sample_size: int = 1000
    seed: int = 0

    @property
    def names(self) -> tuple[str, ...]:
        """Feature names, in profile order."""
        return tuple(f.name for f in self.features)

    def get_feature(self, name: str) -> FeatureProfile:
        """Return the profile of feature ``name``.

        Args:
            name: the feature name.

        Returns:
            Its profile.

        Raises:
            NotFoundError: the reference had no such feature.
        """
        for feature in self.features:
            if feature.name == name:
                return feature
        raise NotFoundError(f"feature {name!r} is not in the reference profile {self.names}")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict; ``from_dict`` reverses it.

        Returns:
            Plain lists, numbers and strings, with a ``format`` version.
        """
        return {
            "format": PROFILE_FORMAT,
            "rows": self.rows,
            "n_bins": self.n_bins,
            "top_k": self.top_k,
            "sample_size": self.sample_size,
            "seed": self.seed,
            "features": [f.to_dict() for f in self.features],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReferenceProfile:
        """Rebuild a reference profile from ``to_dict`` output.

        Args:
            data: the dict, for instance read back from a JSON column.

        Returns:
            The reference profile.

        Raises:
            InvalidRecordError: the dict is not a profile this version can read.
        """
        if data.get("format") != PROFILE_FORMAT:
            raise InvalidRecordError(
                "profile", f"unknown profile format {data.get('format')!r}; rebuild the profile"
            )
        return cls(
            features=tuple(FeatureProfile.from_dict(f) for f in data["features"]),
            rows=int(data["rows"]),
            n_bins=int(data["n_bins"]),
            top_k=int(data["top_k"]),
            sample_size=int(data["sample_size"]),
            seed=int(data["seed"]),
        )


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)
