"""A batch's rollup increments are what a plain loop over its records would add up."""

from __future__ import annotations

import random
from typing import Any

import pytest

from predledger.ingest.rollups import HOUR_MICROS, Increments, aggregate_predictions
from predledger.ingest.tables import PREDICTIONS, batch_columns
from predledger.predictions.sketch import latency_bucket

START = 1_780_000_000_000_000


def _records(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    records = []
    for i in range(count):
        record: dict[str, Any] = {
            "k": "p", "id": f"id-{i}", "ts": START + rng.randrange(3 * HOUR_MICROS),
            "model": rng.choice(["churn", "price"]), "version": rng.choice(["1", "2"]),
            "prediction_type": "features",
        }  # fmt: skip
        optional = {
            "label": rng.choice(["a", "b", "", None]),
            "status": rng.choice(["success", "error"]),
            "probability": rng.choice([rng.random(), 1, None]),
            "value": rng.choice([rng.uniform(-1e6, 1e6), None]),
            "latency_ms": rng.choice([rng.lognormvariate(1.0, 1.5), 0.0, 7, None]),
            "cache_hit": rng.choice([True, False, None]),
        }
        # Records omit absent fields, as the ledger writes them; some carry an explicit None.
        record.update({k: v for k, v in optional.items() if v is not None or rng.random() < 0.2})
        records.append(record)
    return records


def _loop(records: list[dict[str, Any]]) -> Increments:
    """The rollups spelled out one record at a time."""
    into = Increments()
    for r in records:
        ts = r["ts"]
        hour = ts - ts % HOUR_MICROS
        key = (r["model"], r["version"], hour, r.get("label") or "", r.get("status", "success"))
        acc = into.rollups.setdefault(key, [0, 0, 0, 0.0, 0, 0.0, 0, 0.0, 0.0, ts, ts])
        acc[0] += 1
        acc[1] += 1 if r.get("cache_hit") else 0
        for i, field in ((2, "probability"), (4, "value"), (6, "latency_ms")):
            if r.get(field) is not None:
                acc[i] += 1
                acc[i + 1] += r[field]
        latency = r.get("latency_ms")
        if latency is not None:
            acc[8] = max(acc[8], latency)
            bucket = (r["model"], r["version"], hour, latency_bucket(latency))
            into.buckets[bucket] = into.buckets.get(bucket, 0) + 1
        acc[9], acc[10] = min(acc[9], ts), max(acc[10], ts)
    return into


def test_a_batch_adds_up_as_a_loop_over_its_records_would() -> None:
    for seed in range(5):
        records = _records(3000, seed)
        into = Increments()

        aggregate_predictions(batch_columns(PREDICTIONS, records), into)

        expected = _loop(records)
        assert into.rollups == expected.rollups  # sums exactly equal: added in the same order
        assert into.buckets == expected.buckets


def test_batches_add_into_the_increments_already_held() -> None:
    first, second = _records(500, 10), _records(700, 11)
    into = Increments()

    aggregate_predictions(batch_columns(PREDICTIONS, first), into)
    aggregate_predictions(batch_columns(PREDICTIONS, second), into)

    expected = _loop(first + second)
    # Two batches' sums added together may differ from one long sum in the last bit.
    assert into.rollups == {key: pytest.approx(acc) for key, acc in expected.rollups.items()}
    assert into.buckets == expected.buckets


def test_a_batch_of_one_model_version_and_hour_has_one_group_per_label() -> None:
    records = [
        {"k": "p", "id": str(i), "ts": START + i, "model": "m", "version": "1",
         "prediction_type": "features", "label": "ab"[i % 2], "latency_ms": 1.0}
        for i in range(10)
    ]  # fmt: skip
    into = Increments()

    aggregate_predictions(batch_columns(PREDICTIONS, records), into)

    hour = START - START % HOUR_MICROS
    assert sorted(into.rollups) == [
        ("m", "1", hour, "a", "success"),
        ("m", "1", hour, "b", "success"),
    ]
    assert into.buckets == {("m", "1", hour, latency_bucket(1.0)): 10}
