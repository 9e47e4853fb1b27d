"""The ingest hook keeps hourly histograms on the active versions' reference bins."""

from __future__ import annotations

import numpy as np
import pandas as pd
from monitoring_data import log_traffic
from sqlalchemy import func, select

from predledger.drift.models import MISSING_BIN, FeatureHistogram
from predledger.registry import find_reference_profile, register_model_version


def _histogram(store, model):
    with store.transaction() as session:
        rows = session.execute(
            select(FeatureHistogram.feature, FeatureHistogram.bin, func.sum(FeatureHistogram.count))
            .where(FeatureHistogram.model_name == model)
            .group_by(FeatureHistogram.feature, FeatureHistogram.bin)
        ).all()
    return {(feature, int(b)): int(n) for feature, b, n in rows}


def test_counts_follow_the_reference_bins_missing_and_bad_values_included(store, open_ledger):
    rng = np.random.default_rng(11)
    reference = pd.DataFrame({"x": rng.normal(0.0, 1.0, 1000), "c": rng.choice(["a", "b"], 1000)})
    register_model_version(store, name="m", version="1", reference=reference, stage="production")
    register_model_version(store, name="other", version="1", stage="production")  # no profile
    values = rng.normal(0.0, 1.0, 50)
    rows = [{"x": float(v), "c": "a"} for v in values]
    rows += [{"c": "zzz"}, {"x": None, "c": None}, {"x": "not a number", "c": 3}]
    ledger = open_ledger()
    log_traffic(ledger, "m", "1", rows)
    ledger.log(model="m", version="1", inputs=[1.5, "b"], feature_names=["x", "c"])
    ledger.log(model="m", version="1", inputs="a text, not features")
    log_traffic(ledger, "other", "1", [{"x": 1.0}])

    with store.transaction() as session:
        profile = find_reference_profile(session, "m", "1")
    counts = _histogram(store, "m")
    x_bins = profile.get_feature("x").bin([*values, 1.5]).counts
    for index, expected in enumerate(x_bins):
        assert counts.get(("x", index), 0) == expected
    assert counts[("x", MISSING_BIN)] == 3
    categories = list(profile.get_feature("c").categories)
    assert counts[("c", categories.index("a"))] == 50
    assert counts[("c", categories.index("b"))] == 1
    assert counts[("c", len(categories))] == 2  # "zzz" and 3 fall in "__other__"
    assert counts[("c", MISSING_BIN)] == 1
    assert _histogram(store, "other") == {}
