"""Drift reports through a real ledger and database: exact mode equals SciPy on the same data,
and histogram mode reaches the same verdicts as exact mode on shifted and steady features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from monitoring_data import log_traffic, reference_frame
from scipy import spatial, stats

from predledger.drift.operations import run_drift_report
from predledger.drift.queries import get_drift_report
from predledger.drift.report_html import render_drift_report_html
from predledger.registry import find_reference_profile, register_model_version


def _small_reference(rng):
    return pd.DataFrame(
        {"x": rng.normal(0.0, 1.0, 600), "c": rng.choice(["a", "b", "c"], 600, p=[0.5, 0.3, 0.2])}
    )


def test_exact_mode_statistics_equal_scipy(store, open_ledger):
    rng = np.random.default_rng(7)
    reference = _small_reference(rng)
    register_model_version(store, name="m", version="1", reference=reference, stage="production")
    current_x = rng.normal(0.25, 1.0, 300)
    current_c = rng.choice(["a", "b", "c"], 300, p=[0.4, 0.3, 0.3])
    rows = [{"x": float(x), "c": str(c)} for x, c in zip(current_x, current_c, strict=True)]
    log_traffic(open_ledger(), "m", "1", rows)

    report = run_drift_report(store, model="m", mode="exact", hours=2)
    by_name = {f.feature: f for f in report.features}
    ks = stats.ks_2samp(reference["x"].to_numpy(), current_x)
    assert (by_name["x"].method, by_name["x"].current_size) == ("ks", 300)
    assert by_name["x"].statistic == pytest.approx(ks.statistic, rel=1e-12)
    assert by_name["x"].p_value == pytest.approx(ks.pvalue, rel=1e-9)
    with store.transaction() as session:
        profile = find_reference_profile(session, "m", "1")
    categories = list(profile.get_feature("c").categories)
    ref_counts = [int((reference["c"] == c).sum()) for c in categories]
    cur_counts = [int((current_c == c).sum()) for c in categories]
    chi2 = stats.chi2_contingency([ref_counts, cur_counts], correction=False)
    assert by_name["c"].method == "chisquare"
    assert by_name["c"].statistic == pytest.approx(chi2.statistic, rel=1e-9)
    assert by_name["c"].p_value == pytest.approx(chi2.pvalue, rel=1e-9)

    overridden = run_drift_report(
        store, model="m", mode="exact", hours=2,
        overrides={"x": {"method": "wasserstein"}, "c": {"method": "jensenshannon"}},
    )  # fmt: skip
    by_name = {f.feature: f for f in overridden.features}
    ref_x = reference["x"].to_numpy()
    expected_w = stats.wasserstein_distance(ref_x, current_x) / np.std(ref_x)
    assert by_name["x"].statistic == pytest.approx(expected_w, rel=1e-9)
    expected_js = spatial.distance.jensenshannon(ref_counts, cur_counts)
    assert by_name["c"].statistic == pytest.approx(expected_js, rel=1e-9)
    assert by_name["c"].threshold == 0.1


def test_exact_mode_reads_odd_inputs_as_ingest_counts_them(store, open_ledger):
    rng = np.random.default_rng(12)
    reference = _small_reference(rng)
    register_model_version(store, name="m", version="1", reference=reference, stage="production")
    values = rng.normal(0.3, 1.0, 200)
    rows = [{"x": float(v), "c": "a", "extra": {"nested": [1, 2]}} for v in values]
    rows += [
        {"c": "b"},  # x missing
        {"x": None, "c": None},
        {"x": "not a number", "c": 3},  # 3 is matched as "3": "__other__"
        {"x": "2.5", "c": "c"},  # a number written as text counts as the number
        {"x": [1.0], "c": ["a"]},  # nested values: missing, "__other__"
        {"x": True, "c": "zzz"},
    ]
    ledger = open_ledger()
    log_traffic(ledger, "m", "1", rows)
    ledger.log(model="m", version="1", inputs=[1.5, "b"], feature_names=["x", "c"])
    ledger.log(model="m", version="1", inputs="a text, not features")
    assert ledger.flush(timeout=60)

    exact = run_drift_report(store, model="m", mode="exact", hours=2)
    histogram = run_drift_report(store, model="m", mode="histogram", hours=2)

    assert exact.current_size == histogram.current_size == 207
    with store.transaction() as session:
        exact_charts = get_drift_report(session, exact.id).features
        histogram_charts = get_drift_report(session, histogram.id).features
    for by_exact, by_histogram in zip(exact_charts, histogram_charts, strict=True):
        assert by_exact.chart.current == by_histogram.chart.current, by_exact.feature
        assert by_exact.current_missing == by_histogram.current_missing, by_exact.feature
    x = {f.feature: f for f in exact.features}["x"]
    assert (x.current_size, x.current_missing) == (203, 4)
    ks = stats.ks_2samp(reference["x"].to_numpy(), [*values, 2.5, 1.0, 1.5])
    assert x.statistic == pytest.approx(ks.statistic, rel=1e-12)


def _mixed_traffic(rows, *, seed, shifted):
    rng = np.random.default_rng(seed)
    income = rng.normal(65.0 if shifted else 50.0, 10.0, rows)
    age = rng.normal(40.0, 12.0, rows)  # never shifted
    plan = rng.choice(
        ["basic", "pro", "team"], rows, p=[0.2, 0.3, 0.5] if shifted else [0.6, 0.3, 0.1]
    )
    return [
        {"income": float(i), "age": float(a), "plan": str(p)}
        for i, a, p in zip(income, age, plan, strict=True)
    ]


def test_histogram_mode_reaches_the_exact_verdicts(store, open_ledger):
    reference = reference_frame(rows=2000)
    for model in ("shifted", "steady"):
        register_model_version(
            store, name=model, version="1", reference=reference, stage="production"
        )
    ledger = open_ledger()
    log_traffic(ledger, "shifted", "1", _mixed_traffic(1500, seed=3, shifted=True))
    log_traffic(ledger, "steady", "1", _mixed_traffic(1500, seed=4, shifted=False))

    expected = {
        "shifted": {"income": True, "age": False, "plan": True},
        "steady": {"income": False, "age": False, "plan": False},
    }
    for model, verdicts in expected.items():
        by_mode = {
            mode: run_drift_report(store, model=model, mode=mode, hours=3)
            for mode in ("histogram", "exact")
        }
        for mode, report in by_mode.items():
            assert {f.feature: f.drifted for f in report.features} == verdicts, (model, mode)
            assert [f.method for f in report.features] == [
                "wasserstein", "wasserstein", "jensenshannon",
            ]  # fmt: skip
            assert report.current_size == 1500
        assert by_mode["histogram"].drift_detected == (model == "shifted")
        histogram_js = by_mode["histogram"].features[2].statistic
        assert histogram_js == pytest.approx(by_mode["exact"].features[2].statistic, rel=1e-9)


def test_the_report_page_draws_a_chart_per_feature_without_the_network(store, open_ledger):
    register_model_version(
        store, name="m", version="1", reference=reference_frame(rows=500), stage="production"
    )
    log_traffic(open_ledger(), "m", "1", _mixed_traffic(200, seed=5, shifted=True))
    stored = run_drift_report(store, model="m", hours=2, note="<b>escaped</b>")
    with store.transaction() as session:
        report = get_drift_report(session, stored.id)
    assert [len(f.chart.labels) for f in report.features] == [
        len(f.chart.reference) for f in report.features
    ]
    assert sum(report.features[2].chart.current) == 200
    page = render_drift_report_html(report)
    assert page.count("<svg") == 3
    assert "&lt;b&gt;escaped&lt;/b&gt;" in page
    assert "<script" not in page
    assert "<link" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
