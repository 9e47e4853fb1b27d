"""UUIDv7 ids carry their time; the latency sketch reads percentiles within 5%."""

from __future__ import annotations

import os
import time
import uuid

import numpy as np
import pytest

from predledger.ids import id_created_at, id_timestamp_micros, new_id
from predledger.predictions.sketch import (
    GAMMA,
    MAX_BUCKET,
    MIN_MS,
    latency_bucket,
    latency_buckets,
    percentile,
)


def test_ids_are_version_7_and_carry_their_creation_time() -> None:
    before = time.time_ns() // 1000
    record_id, micros = new_id()
    after = time.time_ns() // 1000
    parsed = uuid.UUID(record_id)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert id_timestamp_micros(record_id) == micros
    assert before - 1000 <= micros <= after + 1000
    assert id_created_at(record_id).timestamp() * 1e6 == micros


def test_ids_made_in_a_row_sort_in_order_and_never_repeat() -> None:
    ids = [new_id()[0] for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


def test_sketch_percentiles_are_within_five_percent() -> None:
    rng = np.random.default_rng(1)
    latencies = rng.lognormal(mean=2.0, sigma=1.0, size=20_000)
    counts: dict[int, int] = {}
    for value in latencies:
        bucket = latency_bucket(float(value))
        counts[bucket] = counts.get(bucket, 0) + 1
    for q in (50, 95, 99):
        estimate = percentile(counts.items(), q)
        assert estimate is not None
        exact = float(np.percentile(latencies, q))
        assert abs(estimate - exact) / exact < 0.05
    assert percentile([], 50) is None


def test_bucketing_many_latencies_at_once_gives_the_scalar_buckets() -> None:
    rng = np.random.default_rng(2)
    edges = [MIN_MS * GAMMA**k for k in range(MAX_BUCKET + 20)]
    near_edges = [np.nextafter(e, d) for e in edges for d in (0.0, np.inf)]
    latencies = [*rng.lognormal(1.0, 2.0, 20_000), *edges, *near_edges, 0.0, -3.0, MIN_MS, 1e300]

    many = latency_buckets(np.asarray(latencies, dtype=np.float64))

    assert many.tolist() == [latency_bucket(float(v)) for v in latencies]


def test_bucketing_refuses_what_the_scalar_function_refuses() -> None:
    with pytest.raises(ValueError, match="NaN"):
        latency_buckets(np.asarray([1.0, float("nan")]))
    with pytest.raises(OverflowError):
        latency_buckets(np.asarray([float("inf")]))


def test_a_forked_child_draws_other_random_digits_than_its_parent() -> None:
    new_id()  # the parent holds drawn digits when it forks
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, through the pipe
        os.close(read)
        os.write(write, ",".join(new_id()[0][19:] for _ in range(50)).encode())
        os._exit(0)
    os.close(write)
    child_tails = set(os.read(read, 1 << 16).decode().split(","))
    os.close(read)
    os.waitpid(pid, 0)
    parent_tails = {new_id()[0][19:] for _ in range(50)}
    assert len(child_tails) == 50
    assert not child_tails & parent_tails
