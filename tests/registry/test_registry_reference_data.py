"""A version registered with a reference dataset keeps its drift profile and CBPE calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from predledger.errors import InvalidRecordError
from predledger.performance import ConfidenceEstimator
from predledger.registry import (
    ReferenceDataset,
    find_estimator,
    find_reference_profile,
    get_model_version,
    register_model_version,
)


@pytest.fixture
def reference():
    rng = np.random.default_rng(3)
    n = 2000
    frame = pd.DataFrame(
        {
            "age": rng.normal(50, 10, n),
            "plan": rng.choice(["basic", "pro"], n),
        }
    )
    p_yes = 1 / (1 + np.exp(-(frame["age"] - 50) / 10))
    frame["p_no"], frame["p_yes"] = 1 - p_yes, p_yes
    frame["churned"] = np.where(rng.random(n) < p_yes, "yes", "no")
    return frame


@pytest.mark.parametrize("form", ["dataframe", "csv", "parquet"])
def test_profile_and_estimator_are_kept(store, reference, tmp_path, form):
    data = reference
    if form != "dataframe":
        data = tmp_path / f"reference.{form}"
        getattr(reference, f"to_{form}")(data, **({"index": False} if form == "csv" else {}))
    registered = register_model_version(
        store,
        name="churn",
        version="1",
        reference=ReferenceDataset(
            data, target="churned", probabilities={"no": "p_no", "yes": "p_yes"}
        ),
    )
    assert registered.has_reference_profile
    assert registered.has_estimator
    assert registered.task == "classification"
    assert registered.classes == ["no", "yes"]
    assert registered.feature_names == ["age", "plan"]
    with store.transaction() as session:
        profile = find_reference_profile(session, "churn", "1")
        estimator = find_estimator(session, "churn", "1")
    assert profile is not None
    assert profile.names == ("age", "plan")
    assert profile.rows == len(reference)
    assert profile.get_feature("plan").kind == "categorical"
    expected = ConfidenceEstimator.fit(
        reference["churned"].to_numpy().astype(str),
        reference[["p_no", "p_yes"]].to_numpy(),
        classes=["no", "yes"],
    )
    assert estimator == expected


def test_a_bare_dataframe_is_all_features(store, reference):
    registered = register_model_version(
        store, name="churn", version="1", reference=reference[["age", "plan"]]
    )
    assert registered.has_reference_profile
    assert not registered.has_estimator
    with store.transaction() as session:
        assert get_model_version(session, "churn", "1").feature_names == ["age", "plan"]


def test_a_list_of_probability_columns_follows_the_classes(store, reference):
    registered = register_model_version(
        store,
        name="churn",
        version="1",
        classes=["no", "yes"],
        feature_names=["age"],
        reference=ReferenceDataset(reference, target="churned", probabilities=["p_yes"]),
    )
    assert registered.has_estimator
    with store.transaction() as session:
        profile = find_reference_profile(session, "churn", "1")
    assert profile is not None
    assert profile.names == ("age",)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"target": "gone", "probabilities": {"no": "p_no"}}, "no column 'gone'"),
        ({"target": "churned", "probabilities": ["p_no", "p_yes"]}, "classes: is required"),
    ],
)
def test_unusable_references_are_refused_naming_the_fix(store, reference, spec, message):
    with pytest.raises(InvalidRecordError, match=message):
        register_model_version(
            store, name="churn", version="1", reference=ReferenceDataset(reference, **spec)
        )


def test_only_csv_and_parquet_files_are_read(store, tmp_path):
    path = tmp_path / "reference.xlsx"
    path.write_bytes(b"")
    with pytest.raises(InvalidRecordError, match=r"neither \.csv nor \.parquet"):
        register_model_version(store, name="churn", version="1", reference=path)
    with pytest.raises(InvalidRecordError, match="does not exist"):
        register_model_version(store, name="churn", version="1", reference=tmp_path / "no.csv")
