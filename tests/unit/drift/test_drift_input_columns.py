"""Exact mode's reading of raw JSON inputs: pyarrow's columns equal the row-by-row decoding.

Chunks of plain JSON objects are parsed by pyarrow; anything else is decoded row by row
with orjson. Whichever way a chunk goes, the values a drift test sees are the same.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson
import pytest

from predledger.drift import build_reference_profile
from predledger.drift import input_columns as module
from predledger.drift.binning import BinCounts
from predledger.drift.input_columns import InputColumns

NAN = math.nan


@pytest.fixture(scope="module")
def profile():
    rng = np.random.default_rng(0)
    return build_reference_profile(
        {
            "x": rng.normal(0.0, 1.0, 500),
            "plan": rng.choice(["basic", "pro", "team"], 500),
            "tier": rng.choice([1.0, 2.0, 3.0], 500),  # few values: a number-valued category
        }
    )


def read(
    profile, rows: list[Any], *, feature_names: Any = None, as_bytes: bool = False
) -> dict[str, Any]:
    """Columns of rows given as Python values (dumped as ingest does) or as raw JSON text.

    The texts are ``str``, as PostgreSQL's driver returns them, or ``bytes`` as SQLite
    returns them when asked for a BLOB.
    """
    texts: list[Any] = [row if isinstance(row, str) else orjson.dumps(row).decode() for row in rows]
    if as_bytes:
        texts = [text.encode() for text in texts]
    names = None if feature_names is None else orjson.dumps(feature_names).decode()
    columns = InputColumns(profile.features)
    columns.add([(text, names) for text in texts])
    return {"rows": columns.rows, **columns.columns()}


def counts(profile, name: str, labels: dict[Any, int], missing: int) -> BinCounts:
    feature = profile.get_feature(name)
    cells = np.zeros(feature.n_bins, dtype=np.int64)
    for label, count in labels.items():
        position = feature.categories.index(label) if label in feature.categories else -1
        cells[position] += count  # -1: the "__other__" cell
    return BinCounts(cells, missing)


def assert_same(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert actual["rows"] == expected["rows"]
    np.testing.assert_array_equal(actual["x"], np.sort(expected["x"]))  # sorted, NaN last
    for name in ("plan", "tier"):
        np.testing.assert_array_equal(actual[name].counts, expected[name].counts, err_msg=name)
        assert actual[name].missing == expected[name].missing, name


@pytest.fixture
def row_by_row_refused(monkeypatch):
    """Make the row-by-row decoding fail, to show that a chunk went through pyarrow."""

    def refuse(*_args: Any) -> list[list[Any]]:
        raise AssertionError("this chunk should have been parsed by pyarrow")

    monkeypatch.setattr(module, "chunk_values", refuse)


@pytest.mark.usefixtures("row_by_row_refused")
@pytest.mark.parametrize("as_bytes", [False, True])
def test_plain_objects_are_parsed_by_pyarrow_with_the_row_by_row_meaning(profile, as_bytes):
    rows = [
        {"x": 1.5, "plan": "pro", "tier": 2.0},
        {"x": -0.0, "plan": "basic", "tier": 1, "unused": {"nested": [1, {"deep": None}]}},
        {"plan": "enterprise"},  # x and tier missing; a category the profile never saw
        {"x": None, "plan": None, "tier": None},
        {"x": 3, "plan": "caf\u00e9", "tier": 7.0},  # an int; text and number out of range
        {},
        {"x": 9007199254740993, "plan": "team", "tier": 3.0},  # rounds to the nearest float
        '{ "x" : 2.5e-3 ,\t"plan":"t\\u0065am", "\\u0074ier": 1.0 }',  # spacing and escapes
        {"x": 5e-324, "plan": "pro", "tier": 2.0},
    ]

    columns = read(profile, rows, as_bytes=as_bytes)

    assert_same(
        columns,
        {
            "rows": 9,
            "x": [1.5, -0.0, NAN, NAN, 3.0, NAN, 9007199254740992.0, 0.0025, 5e-324],
            "plan": counts(profile, "plan", {"pro": 2, "basic": 1, "team": 2, "other": 2}, 2),
            "tier": counts(profile, "tier", {2.0: 2, 1.0: 2, 3.0: 1, 7.0: 1}, 3),
        },
    )
    assert math.copysign(1.0, columns["x"][0]) == -1.0  # the smallest, -0.0, keeps its sign


@pytest.mark.parametrize(
    ("odd_row", "x", "plan", "tier"),
    [
        ({"x": "1.5", "plan": "pro", "tier": 1.0}, 1.5, "pro", 1.0),  # a number as text
        ({"x": "abc", "plan": "pro", "tier": 1.0}, NAN, "pro", 1.0),  # text: missing
        ({"x": True, "plan": "pro", "tier": 1.0}, 1.0, "pro", 1.0),
        ({"x": [1.0], "plan": "pro", "tier": 1.0}, NAN, "pro", 1.0),  # nested: missing
        ({"x": {"v": 1.0}, "plan": "pro", "tier": 1.0}, NAN, "pro", 1.0),
        ({"x": 1.0, "plan": 3, "tier": 1.0}, 1.0, "3", 1.0),  # matched by str(value)
        ({"x": 1.0, "plan": True, "tier": 1.0}, 1.0, "True", 1.0),
        ({"x": 1.0, "plan": ["pro"], "tier": 1.0}, 1.0, "['pro']", 1.0),
        ({"x": 1.0, "plan": "pro", "tier": "2"}, 1.0, "pro", 2.0),
        ({"x": 1.0, "plan": "pro", "tier": "two"}, 1.0, "pro", None),
        ('{"x": 1.0, "x": 2.0, "plan": "pro", "tier": 1.0}', 2.0, "pro", 1.0),  # last wins
        ('{"x": 1.0,\n"plan": "pro", "tier": 1.0}', 1.0, "pro", 1.0),  # a newline inside
    ],
)
def test_a_value_pyarrow_refuses_sends_its_chunk_row_by_row(profile, odd_row, x, plan, tier):
    plain = {"x": 0.5, "plan": "basic", "tier": 3.0}

    columns = read(profile, [plain, odd_row, plain])

    tiers = {3.0: 2} if tier is None else {3.0: 2, tier: 1}
    tier_missing = 1 if tier is None else 0
    assert_same(
        columns,
        {
            "rows": 3,
            "x": [0.5, x, 0.5],
            "plan": counts(profile, "plan", {"basic": 2, plan: 1}, 0),
            "tier": counts(profile, "tier", tiers, tier_missing),
        },
    )


@pytest.mark.parametrize("as_bytes", [False, True])
@pytest.mark.parametrize("not_features", ["null", "5", '"text"', "[1.0, 2.0]"])
def test_rows_whose_inputs_are_not_an_object_are_skipped(profile, not_features, as_bytes):
    # ``null`` first matters: pyarrow 26 crashes the process on a block that starts with it.
    rows = [not_features, {"x": 0.5, "plan": "pro", "tier": 1.0}, not_features]

    columns = read(profile, rows, as_bytes=as_bytes)

    assert_same(
        columns,
        {
            "rows": 1,
            "x": [0.5],
            "plan": counts(profile, "plan", {"pro": 1}, 0),
            "tier": counts(profile, "tier", {1.0: 1}, 0),
        },
    )


def test_inputs_given_as_a_list_take_the_feature_names(profile):
    columns = read(
        profile, [[0.25, "team", 2.0], [0.75, "pro"]], feature_names=["x", "plan", "tier"]
    )

    assert_same(
        columns,
        {
            "rows": 1,  # the second row's values do not match the names: skipped
            "x": [0.25],
            "plan": counts(profile, "plan", {"team": 1}, 0),
            "tier": counts(profile, "tier", {2.0: 1}, 0),
        },
    )


def test_chunks_of_either_kind_add_up(profile):
    columns = InputColumns(profile.features)
    plain = [
        (orjson.dumps({"x": float(i), "plan": "pro", "tier": 1.0}).decode(), None) for i in range(3)
    ]
    odd = [('{"x": "7", "plan": "team", "tier": 2.0}', None), ("null", None)]

    columns.add(plain)
    columns.add(odd)
    columns.add(plain)

    read_back = columns.columns()
    assert columns.rows == 7
    np.testing.assert_array_equal(read_back["x"], [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 7.0])
    np.testing.assert_array_equal(
        read_back["plan"].counts, counts(profile, "plan", {"pro": 6, "team": 1}, 0).counts
    )
