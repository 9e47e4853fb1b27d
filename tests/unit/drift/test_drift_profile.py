"""Reference profiles: building, binning and the JSON round trip."""

from __future__ import annotations

import json
from itertools import pairwise

import numpy as np
import pytest

from predledger.drift import (
    ReferenceProfile,
    bin_categorical,
    bin_numeric,
    build_reference_profile,
)
from predledger.errors import InvalidRecordError, NotFoundError


def reference_data(size: int = 3_000) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    income = rng.lognormal(10, 1, size=size)
    income[::17] = np.nan
    return {
        "income": income,
        "plan": rng.choice(["free", "pro", "team"], size=size).astype(object),
        "children": rng.integers(0, 3, size=size),
        "is_member": rng.random(size) < 0.3,
        "never_set": np.full(size, np.nan),
    }


def test_profile_round_trips_through_strict_json() -> None:
    profile = build_reference_profile(reference_data(), seed=3)

    text = json.dumps(profile.to_dict(), allow_nan=False)
    restored = ReferenceProfile.from_dict(json.loads(text))

    assert restored == profile
    assert restored.get_feature("income").edges[0] == -np.inf
    assert restored.get_feature("income").edges[-1] == np.inf


def test_profile_kinds_follow_the_data() -> None:
    profile = build_reference_profile(reference_data())

    kinds = {f.name: (f.kind, f.value_type) for f in profile.features}

    assert kinds == {
        "income": ("numeric", "number"),
        "plan": ("categorical", "string"),
        "children": ("categorical", "number"),
        "is_member": ("categorical", "string"),
        "never_set": ("categorical", "number"),
    }


def test_numeric_profile_has_quantile_bins_statistics_and_missing_count() -> None:
    data = reference_data()
    income = np.asarray(data["income"])
    present = income[np.isfinite(income)]

    feature = build_reference_profile(data).get_feature("income")

    assert feature.n_bins == 10
    assert feature.missing == income.size - present.size
    assert feature.count == present.size
    assert sum(feature.counts) == present.size
    assert max(feature.counts) - min(feature.counts) <= 1
    assert feature.mean == pytest.approx(present.mean())
    assert feature.std == pytest.approx(present.std())
    assert (feature.min_value, feature.max_value) == (present.min(), present.max())


def test_bin_values_are_the_reference_means_of_their_bins() -> None:
    data = reference_data()
    income = data["income"][np.isfinite(data["income"])]
    feature = build_reference_profile(data).get_feature("income")
    edges = np.array(feature.edges)

    expected = [income[(income >= lo) & (income < hi)].mean() for lo, hi in pairwise(edges)]

    assert feature.bin_values == pytest.approx(expected, rel=1e-12)
    assert np.all(np.array(feature.bin_values) >= edges[:-1])
    assert np.all(np.array(feature.bin_values) < edges[1:])


def test_tied_quantiles_merge_into_fewer_bins() -> None:
    rng = np.random.default_rng(1)
    values = np.concatenate([np.zeros(6_000), rng.normal(size=4_000)])

    feature = build_reference_profile({"x": values}).get_feature("x")

    assert feature.n_bins < 10
    assert np.all(np.diff(feature.edges) > 0)
    assert sum(feature.counts) == values.size


def test_sample_is_bounded_seeded_and_drawn_from_the_data() -> None:
    values = np.random.default_rng(2).normal(size=5_000)

    first = build_reference_profile({"x": values}, seed=1).get_feature("x").sample
    again = build_reference_profile({"x": values}, seed=1).get_feature("x").sample
    other = build_reference_profile({"x": values}, seed=2).get_feature("x").sample

    assert len(first) == 1000
    assert first == again
    assert first != other
    assert np.isin(first, values).all()
    assert len(set(first)) == 1000


def test_rare_categories_pool_into_other() -> None:
    labels = np.repeat([f"c{i:02d}" for i in range(60)], np.arange(60, 0, -1))

    feature = build_reference_profile({"code": labels}, top_k=50).get_feature("code")

    assert feature.categories[:3] == ("c00", "c01", "c02")
    assert len(feature.categories) == 50
    assert feature.counts[-1] == sum(range(1, 11))
    assert feature.n_bins == 51


def test_bin_numeric_puts_out_of_range_values_in_outer_bins_and_counts_missing() -> None:
    edges = [-np.inf, 0.0, 1.0, 2.0, np.inf]
    values = np.array([-50.0, 0.0, 0.5, 1.0, 1.999, 2.0, 1e9, np.nan, np.inf, -np.inf])

    result = bin_numeric(values, edges)

    assert result.counts.tolist() == [1, 2, 2, 2]
    assert result.missing == 3


def test_bin_numeric_counts_sorted_values_as_it_counts_them_in_any_order() -> None:
    edges = [-np.inf, -1.0, 0.0, 0.5, 2.0, np.inf]
    rng = np.random.default_rng(3)
    values = np.concatenate((np.round(rng.normal(0.0, 1.5, 5000), 1), [-0.0, 0.0, 2.0, np.nan]))
    shuffled = rng.permutation(values)

    in_order = bin_numeric(np.sort(values), edges)  # exact mode's columns come sorted
    shuffled_result = bin_numeric(shuffled, edges)

    assert in_order.counts.tolist() == shuffled_result.counts.tolist()
    assert in_order.missing == shuffled_result.missing == 1
    assert sum(in_order.counts) == 5003


def test_bin_numeric_accepts_none_as_missing() -> None:
    result = bin_numeric([0.5, None, 3.0, None], [-np.inf, 1.0, np.inf])

    assert (result.counts.tolist(), result.missing) == ([1, 1], 2)


def test_bin_categorical_pools_unknown_values_and_counts_missing() -> None:
    values = np.array(["pro", "free", None, "enterprise", "pro", float("nan")], dtype=object)

    result = bin_categorical(values, ["pro", "free"])

    assert result.counts.tolist() == [2, 1, 1]
    assert result.missing == 2


def test_bin_categorical_matches_numeric_categories_as_numbers() -> None:
    result = bin_categorical([1, 2.0, 2, 7, None], [2.0, 1.0])

    assert (result.counts.tolist(), result.missing) == ([2, 1, 1], 1)


def test_feature_bin_matches_the_profiles_reference_counts() -> None:
    data = reference_data()
    profile = build_reference_profile(data)

    for name in ("income", "plan", "children", "is_member"):
        feature = profile.get_feature(name)
        result = feature.bin(data[name])
        assert tuple(result.counts.tolist()) == feature.counts, name
        assert result.missing == feature.missing, name


def test_object_column_declared_numeric_is_binned_on_quantiles() -> None:
    values = [float(i) if i % 10 else None for i in range(1_000)]

    feature = build_reference_profile({"x": values}, kinds={"x": "numeric"}).get_feature("x")

    assert (feature.kind, feature.count, feature.missing) == ("numeric", 900, 100)


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(InvalidRecordError, match="differ in length"):
        build_reference_profile({"a": [1.0, 2.0], "b": [1.0]})


def test_unknown_profile_format_is_refused() -> None:
    with pytest.raises(InvalidRecordError, match="format"):
        ReferenceProfile.from_dict({"format": 99, "features": []})


def test_unknown_feature_is_not_found() -> None:
    profile = build_reference_profile({"a": [1.0, 2.0]})

    with pytest.raises(NotFoundError, match="'b'"):
        profile.get_feature("b")


def test_pandas_dataframe_gives_the_same_profile_as_its_columns() -> None:
    pd = pytest.importorskip("pandas")
    data = reference_data(500)
    frame = pd.DataFrame(data)

    assert build_reference_profile(frame) == build_reference_profile(data)
