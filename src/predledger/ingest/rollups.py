"""Aggregates a batch's freshly inserted records into rollup and sketch increments.

The increments are added to the stored rows with ``INSERT ... ON CONFLICT DO UPDATE``,
so many writers in many processes can add to the same hour without losing counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import repeat
from operator import is_not
from typing import Any

import numpy as np
import numpy.typing as npt

from predledger.ingest.tables import BatchColumns
from predledger.predictions.sketch import MAX_BUCKET, latency_buckets

HOUR_MICROS = 3_600_000_000

# count, cache_hits, score_count, score_sum, value_count, value_sum,
# latency_count, latency_sum, latency_max, first_at, last_at
RollupKey = tuple[str, str, int, str, str]
BucketKey = tuple[str, str, int, int]
SessionKey = str


@dataclass
class Increments:
    """Everything a batch adds to the rollup tables."""

    rollups: dict[RollupKey, list[Any]] = field(default_factory=dict)
    buckets: dict[BucketKey, int] = field(default_factory=dict)
    sessions: dict[SessionKey, list[Any]] = field(default_factory=dict)


def aggregate_predictions(batch: BatchColumns, into: Increments) -> None:
    """Add a batch of prediction records to the per-hour rollups and latency sketch.

    The batch is grouped once by rollup key; counts, sums, extremes and sketch buckets
    are then NumPy operations over whole columns. Sums add in record order, as a loop
    over the records would.
    """
    if batch.count == 0:
        return
    times = np.asarray(batch.filled("ts"), dtype=np.int64)
    models, versions = batch.filled("model"), batch.filled("version")
    statuses = batch.filled("status")
    hours: list[int] = (times - times % HOUR_MICROS).tolist()
    labels = [label or "" for label in batch.filled("label")]
    groups, first_rows = _group_rows([models, versions, hours, labels, statuses], batch.count)
    keys: list[RollupKey] = [
        (models[i], versions[i], hours[i], labels[i], statuses[i]) for i in first_rows.tolist()
    ]
    sums = _GroupSums(groups, len(keys))
    first_at = np.full(len(keys), np.iinfo(np.int64).max)
    last_at = np.full(len(keys), np.iinfo(np.int64).min)
    np.minimum.at(first_at, groups, times)
    np.maximum.at(last_at, groups, times)
    latency_present, latencies = _numbers(batch.of("latency_ms"), batch.count)
    columns = [
        np.bincount(groups, minlength=len(keys)),
        sums.count(np.asarray(batch.filled("cache_hit"), dtype=bool)),
        *sums.count_and_sum(*_numbers(batch.of("probability"), batch.count)),
        *sums.count_and_sum(*_numbers(batch.of("value"), batch.count)),
        *sums.count_and_sum(latency_present, latencies),
        sums.maximum(latency_present, latencies),
        first_at,
        last_at,
    ]
    _add_rollups(into.rollups, keys, zip(*(c.tolist() for c in columns), strict=True))
    sketch = latency_buckets(latencies[latency_present])
    _add_buckets(into.buckets, keys, groups[latency_present], sketch)


_CODE_LIMIT = 1 << 62


def _group_rows(
    columns: list[list[Any]], count: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Group rows by their values in ``columns``: each row's group, and each group's first row.

    Each column's values become small integer codes, combined into one number per row,
    without a tuple per row. A column holding one value throughout (the usual case for
    model, version and status) costs one comparison pass.
    """
    combined = np.zeros(count, dtype=np.int64)
    bound = 1
    for column in columns:
        if column.count(column[0]) == count:
            continue
        position = {v: i for i, v in enumerate(dict.fromkeys(column))}
        codes = np.fromiter(map(position.__getitem__, column), dtype=np.int64, count=count)
        if bound * len(position) >= _CODE_LIMIT:  # renumber before the product could overflow
            _, combined = np.unique(combined, return_inverse=True)
            bound = int(combined.max()) + 1
        combined = combined * len(position) + codes
        bound *= len(position)
    _, first_rows, groups = np.unique(combined, return_index=True, return_inverse=True)
    return groups.astype(np.intp), first_rows


class _GroupSums:
    """Per-group counts and sums over whole columns, for ``group`` codes ``0..size-1``."""

    def __init__(self, groups: npt.NDArray[np.intp], size: int) -> None:
        self.groups = groups
        self.size = size

    def count(self, present: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        return np.bincount(self.groups[present], minlength=self.size)

    def count_and_sum(
        self, present: npt.NDArray[np.bool_], values: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        # bincount adds each group's weights in order; a missing value adds 0.0, which
        # leaves any sum unchanged.
        weights = np.where(present, values, 0.0)
        sums = np.bincount(self.groups, weights, minlength=self.size).astype(np.float64)
        return self.count(present), sums

    def maximum(
        self, present: npt.NDArray[np.bool_], values: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        highest = np.zeros(self.size)
        np.maximum.at(highest, self.groups[present], values[present])
        return highest


def _numbers(
    column: list[Any] | None, count: int
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """A number column as (present, values): ``None`` is absent; NaN stays NaN."""
    if column is None:
        return np.zeros(count, dtype=bool), np.zeros(count)
    present = (
        np.fromiter(map(is_not, column, repeat(None)), dtype=bool, count=count)
        if None in column
        else np.ones(count, dtype=bool)
    )
    return present, np.asarray(column, dtype=np.float64)


def _add_rollups(
    rollups: dict[RollupKey, list[Any]], keys: list[RollupKey], rows: Iterable[tuple[Any, ...]]
) -> None:
    for key, row in zip(keys, rows, strict=True):
        acc = rollups.get(key)
        if acc is None:
            rollups[key] = list(row)
            continue
        for i in range(8):
            acc[i] += row[i]
        acc[8] = max(acc[8], row[8])
        acc[9] = min(acc[9], row[9])
        acc[10] = max(acc[10], row[10])


def _add_buckets(
    buckets: dict[BucketKey, int],
    keys: list[RollupKey],
    groups: npt.NDArray[np.intp],
    bucket_of: npt.NDArray[np.int64],
) -> None:
    # One cell per (rollup group, bucket); groups that share model, version and hour
    # (different labels or statuses) add into the same sketch row.
    cells, counts = np.unique(groups * (MAX_BUCKET + 1) + bucket_of, return_counts=True)
    for cell, count in zip(cells.tolist(), counts.tolist(), strict=True):
        group, bucket = divmod(cell, MAX_BUCKET + 1)
        model, version, hour = keys[group][:3]
        bucket_key = (model, version, hour, bucket)
        buckets[bucket_key] = buckets.get(bucket_key, 0) + count


def aggregate_sessions(records: Iterable[dict[str, Any]], into: Increments) -> None:
    """Add request records that carry a session id to the session table's increments."""
    sessions = into.sessions
    for r in records:
        session_id = r.get("session_id")
        if not session_id:
            continue
        ts = r["ts"]
        acc = sessions.get(session_id)
        if acc is None:
            sessions[session_id] = [r.get("client_ip"), r.get("user_agent"), ts, ts, 1]
        else:
            acc[2] = min(acc[2], ts)
            acc[3] = max(acc[3], ts)
            acc[4] += 1
