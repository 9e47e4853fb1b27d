"""Drift statistics against SciPy, and histogram-mode verdicts against exact mode."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from scipy import stats
from scipy.spatial import distance

from predledger.drift import (
    BinCounts,
    DriftOverride,
    binned_ks_test,
    binned_wasserstein_normed,
    build_reference_profile,
    chi_square_test,
    compute_dataset_drift,
    compute_feature_drift,
    jensen_shannon,
    ks_test,
    psi,
    wasserstein_normed,
)
from predledger.drift.statistics import wasserstein_distance
from predledger.errors import ConfigurationError, InvalidRecordError

TOL = 1e-9


def normal(seed: int, size: int, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(mean, std, size=size)


def categories(seed: int, size: int, probs: tuple[float, ...]) -> np.ndarray:
    labels = np.array(["red", "green", "blue"][: len(probs)])
    return np.random.default_rng(seed).choice(labels, p=probs, size=size)


# --- exact-mode statistics equal SciPy's ----------------------------------------------


@pytest.mark.parametrize(("n", "m"), [(40, 55), (500, 800), (3000, 2500)])
def test_ks_test_equals_scipy_ks_2samp(n: int, m: int) -> None:
    ref, cur = normal(1, n), normal(2, m, mean=0.2)
    expected = stats.ks_2samp(ref, cur)

    result = ks_test(ref, cur)

    assert result.statistic == pytest.approx(expected.statistic, abs=TOL)
    assert result.p_value == pytest.approx(expected.pvalue, abs=TOL)


@pytest.mark.parametrize("correction", [False, True])
@pytest.mark.parametrize(
    ("ref_counts", "cur_counts"),
    [
        ([120, 80], [90, 110]),
        ([50, 30, 20, 0], [30, 30, 35, 5]),  # a category only the current window holds
        ([50, 0, 30, 20], [40, 0, 35, 25]),  # a cell empty on both sides is dropped
    ],
)
def test_chi_square_equals_scipy_chi2_contingency(
    ref_counts: list[int], cur_counts: list[int], correction: bool
) -> None:
    table = np.array([ref_counts, cur_counts])
    table = table[:, table.sum(axis=0) > 0]
    expected = stats.chi2_contingency(table, correction=correction)

    result = chi_square_test(ref_counts, cur_counts, correction=correction)

    assert result.statistic == pytest.approx(expected.statistic, abs=TOL)
    assert result.p_value == pytest.approx(expected.pvalue, abs=TOL)


def test_chi_square_with_a_single_occupied_cell_finds_no_difference() -> None:
    assert chi_square_test([10, 0], [7, 0]) == (0.0, 1.0)


@pytest.mark.parametrize("shift", [0.0, 0.3, 2.0])
def test_wasserstein_normed_equals_scipy_over_reference_std(shift: float) -> None:
    ref, cur = normal(3, 700, std=2.5), normal(4, 900, mean=shift, std=2.5)
    expected = stats.wasserstein_distance(ref, cur) / np.std(ref)

    assert wasserstein_normed(ref, cur) == pytest.approx(expected, abs=TOL)


@pytest.mark.parametrize(("n", "m"), [(1, 1), (1000, 100_000), (100_000, 1000), (3, 2000)])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("presorted", [False, True])
def test_wasserstein_distance_equals_scipy(n: int, m: int, ties: bool, presorted: bool) -> None:
    ref, cur = normal(5, n, std=3.0), normal(6, m, mean=0.4, std=3.0)
    if ties:  # values shared within and across the samples, and zeros of both signs
        ref, cur = np.round(ref), np.round(cur)
        ref[::2], cur[::3] = 0.0, -0.0
    expected = stats.wasserstein_distance(ref, cur)
    if presorted:  # as exact mode's columns come
        ref, cur = np.sort(ref), np.sort(cur)

    assert wasserstein_distance(ref, cur) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_wasserstein_normed_floors_a_constant_reference_std() -> None:
    ref = np.full(100, 3.0)
    cur = np.full(100, 3.5)

    assert wasserstein_normed(ref, cur) == pytest.approx(0.5 / 0.001, rel=TOL)


@pytest.mark.parametrize(
    ("ref_counts", "cur_counts"),
    [([50, 30, 20], [30, 30, 40]), ([10, 0, 5, 1], [0, 8, 5, 2]), ([3, 3], [3, 3])],
)
def test_jensen_shannon_equals_scipy_default_natural_log(
    ref_counts: list[int], cur_counts: list[int]
) -> None:
    expected = distance.jensenshannon(ref_counts, cur_counts)

    assert jensen_shannon(ref_counts, cur_counts) == pytest.approx(expected, abs=TOL)


def test_jensen_shannon_of_disjoint_supports_is_sqrt_ln2() -> None:
    assert jensen_shannon([5, 0], [0, 9]) == pytest.approx(math.sqrt(math.log(2)), abs=TOL)


def test_psi_matches_its_formula() -> None:
    expected = (0.3 - 0.5) * math.log(0.3 / 0.5) + (0.4 - 0.2) * math.log(0.4 / 0.2)

    assert psi([50, 30, 20], [30, 30, 40]) == pytest.approx(expected, abs=TOL)


def test_psi_smooths_an_empty_cell_with_epsilon() -> None:
    expected = (0.5 - 1.0) * math.log(0.5) + (0.5 - 1e-4) * math.log(0.5 / 1e-4)

    assert psi([10, 0], [5, 5]) == pytest.approx(expected, abs=TOL)


@pytest.mark.parametrize("statistic", [chi_square_test, jensen_shannon, psi, binned_ks_test])
def test_count_statistics_refuse_mismatched_bins(statistic: Callable[..., object]) -> None:
    with pytest.raises(InvalidRecordError, match="cells"):
        statistic([1, 2, 3], [1, 2])


def test_exact_statistics_refuse_missing_values() -> None:
    with pytest.raises(InvalidRecordError, match="NaN"):
        ks_test([1.0, np.nan, 2.0], [1.0, 2.0])


# --- histogram-mode statistics ------------------------------------------------------------


def test_binned_ks_equals_scipy_asymptotic_when_every_value_has_its_bin() -> None:
    rng = np.random.default_rng(5)
    ref, cur = rng.integers(0, 40, size=700), rng.integers(3, 45, size=900)
    expected = stats.ks_2samp(ref, cur, method="asymp")

    result = binned_ks_test(np.bincount(ref, minlength=45), np.bincount(cur, minlength=45))

    assert result.statistic == pytest.approx(expected.statistic, abs=TOL)
    assert result.p_value == pytest.approx(expected.pvalue, abs=TOL)


def test_binned_wasserstein_equals_scipy_on_weighted_bin_values() -> None:
    values = np.array([-2.0, -0.7, 0.1, 0.9, 3.0])
    ref_counts, cur_counts = np.array([5, 20, 40, 25, 10]), np.array([1, 10, 30, 39, 20])
    expected = stats.wasserstein_distance(values, values, ref_counts, cur_counts) / 1.7

    result = binned_wasserstein_normed(ref_counts, cur_counts, values, reference_std=1.7)

    assert result == pytest.approx(expected, abs=TOL)


def numeric_cases() -> list[tuple[int, str, float, float, bool]]:
    cases = []
    for size in (500, 50_000):
        cases += [
            (size, "unshifted", 0.0, 1.0, False),
            (size, "mean shift of 0.5 std", 0.5, 1.0, True),
            (size, "std doubled", 0.0, 2.0, True),
        ]
    return cases


@pytest.mark.parametrize(("size", "case", "mean", "std", "drifts"), numeric_cases())
def test_histogram_mode_reaches_the_exact_verdict_on_numeric_features(
    size: int, case: str, mean: float, std: float, drifts: bool
) -> None:
    ref, cur = normal(12, size), normal(13, size, mean=mean, std=std)
    feature = build_reference_profile({"x": ref}).get_feature("x")

    histogram = compute_feature_drift(feature, feature.bin(cur))
    exact = compute_feature_drift(feature, cur, mode="exact", reference=ref)

    assert histogram.method == exact.method == ("ks" if size <= 1000 else "wasserstein")
    assert (histogram.drifted, exact.drifted) == (drifts, drifts), case


@pytest.mark.parametrize("size", [500, 50_000])
@pytest.mark.parametrize(("probs", "drifts"), [((0.6, 0.3, 0.1), False), ((0.3, 0.6, 0.1), True)])
def test_histogram_mode_reaches_the_exact_verdict_on_categorical_features(
    size: int, probs: tuple[float, ...], drifts: bool
) -> None:
    ref, cur = categories(20, size, (0.6, 0.3, 0.1)), categories(21, size, probs)
    feature = build_reference_profile({"colour": ref}).get_feature("colour")

    histogram = compute_feature_drift(feature, feature.bin(cur))
    exact = compute_feature_drift(feature, cur, mode="exact", reference=ref)

    assert histogram.method == exact.method == ("chisquare" if size <= 1000 else "jensenshannon")
    assert (histogram.drifted, exact.drifted) == (drifts, drifts)
    assert histogram.statistic == pytest.approx(exact.statistic, abs=TOL)


def test_a_numeric_feature_with_few_values_is_tested_as_categorical() -> None:
    rng = np.random.default_rng(7)
    ref, cur = rng.integers(0, 3, size=800), rng.integers(1, 4, size=800)
    feature = build_reference_profile({"level": ref}).get_feature("level")

    result = compute_feature_drift(feature, feature.bin(cur))

    assert (feature.kind, result.method, result.drifted) == ("categorical", "chisquare", True)


def test_exact_mode_without_raw_reference_uses_the_profile_sample() -> None:
    ref, cur = normal(30, 20_000), normal(31, 5_000, mean=0.5)
    feature = build_reference_profile({"x": ref}).get_feature("x")

    result = compute_feature_drift(feature, cur, mode="exact")

    expected = stats.wasserstein_distance(feature.sample, cur) / np.std(ref)
    assert result.reference_size == 1000
    assert result.statistic == pytest.approx(expected, abs=TOL)
    assert result.drifted


def test_histogram_counts_from_another_profile_are_refused() -> None:
    feature = build_reference_profile({"x": normal(1, 500)}).get_feature("x")

    with pytest.raises(InvalidRecordError, match="10 counts"):
        compute_feature_drift(feature, BinCounts(np.ones(8, dtype=np.int64), 0))


# --- method and threshold overrides -------------------------------------------------------


def test_method_override_takes_effect() -> None:
    ref, cur = normal(40, 5_000), normal(41, 5_000, mean=0.3)
    profile = build_reference_profile({"x": ref})
    feature = profile.get_feature("x")
    counts = feature.bin(cur)

    report = compute_dataset_drift(
        profile, {"x": counts}, overrides={"x": DriftOverride(method="psi")}
    )

    result = report.features[0]
    assert result.method == "psi"
    assert result.statistic == pytest.approx(psi(feature.counts, counts.counts), abs=TOL)
    assert result.threshold == 0.1


def test_threshold_override_flips_the_verdict() -> None:
    ref, cur = normal(42, 5_000), normal(43, 5_000, mean=0.3)
    profile = build_reference_profile({"x": ref})
    current = {"x": profile.get_feature("x").bin(cur)}

    default = compute_dataset_drift(profile, current)
    lenient = compute_dataset_drift(profile, current, overrides={"x": DriftOverride(threshold=0.5)})

    assert default.features[0].drifted
    assert not lenient.features[0].drifted
    assert lenient.features[0].threshold == 0.5


def test_p_value_threshold_override_flips_the_verdict() -> None:
    ref, cur = normal(44, 400), normal(45, 400, mean=0.2)
    feature = build_reference_profile({"x": ref}).get_feature("x")

    default = compute_feature_drift(feature, cur, mode="exact", reference=ref)
    strict = compute_feature_drift(feature, cur, mode="exact", reference=ref, threshold=1e-6)

    assert default.p_value is not None
    assert 1e-6 < default.p_value < 0.05
    assert (default.drifted, strict.drifted) == (True, False)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"nope": DriftOverride(method="psi")}, "unknown features"),
        ({"colour": DriftOverride(method="ks")}, "categorical"),
        ({"x": DriftOverride(method="kl")}, "unknown drift method"),  # type: ignore[arg-type]
    ],
)
def test_invalid_overrides_are_refused(override: dict[str, DriftOverride], message: str) -> None:
    profile = build_reference_profile(
        {"x": normal(1, 100), "colour": categories(1, 100, (0.5, 0.5))}
    )

    with pytest.raises(ConfigurationError, match=message):
        compute_dataset_drift(profile, {}, overrides=override)


# --- dataset drift ------------------------------------------------------------------------


def four_feature_data(seed: int, size: int, shift: float) -> dict[str, np.ndarray]:
    return {
        "a": normal(seed, size, mean=shift),
        "b": normal(seed + 1, size, mean=shift),
        "c": normal(seed + 2, size),
        "d": normal(seed + 3, size),
    }


def test_dataset_drift_share_counts_drifted_features() -> None:
    ref = four_feature_data(50, 3_000, shift=0.0)
    cur = four_feature_data(60, 3_000, shift=1.0)
    profile = build_reference_profile(ref)
    histograms = {name: profile.get_feature(name).bin(values) for name, values in cur.items()}

    half = compute_dataset_drift(profile, histograms, drift_share=0.5)
    most = compute_dataset_drift(profile, histograms, drift_share=0.75)

    assert half.drifted_features == ("a", "b")
    assert (half.n_features, half.n_drifted, half.share_drifted) == (4, 2, 0.5)
    assert half.drift_score == 0.5
    assert half.dataset_drift
    assert not most.dataset_drift


def test_features_without_current_values_are_left_out_of_the_share() -> None:
    ref = four_feature_data(70, 3_000, shift=0.0)
    cur = four_feature_data(80, 3_000, shift=1.0)
    profile = build_reference_profile(ref)

    report = compute_dataset_drift(profile, {"a": cur["a"], "c": cur["c"]}, mode="exact")

    by_name = {f.feature: f for f in report.features}
    assert by_name["b"].statistic is None
    assert not by_name["b"].drifted
    assert (report.n_features, report.n_drifted, report.share_drifted) == (2, 1, 0.5)
