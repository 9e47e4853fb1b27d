"""The latency sketch: log-spaced buckets whose counts add up across hours and processes.

Bucket ``i`` holds latencies in ``(MIN_MS * GAMMA**(i-1), MIN_MS * GAMMA**i]``, so any
percentile read back is within ``GAMMA - 1`` (5%) of the true value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

GAMMA = 1.05
MIN_MS = 0.01
MAX_BUCKET = 400
_LOG_GAMMA = math.log(GAMMA)
# How close to a bucket edge (in units of log base GAMMA) a value is checked with math.log:
# far above the few ulps by which two log implementations can differ (values are <= 400).
_EDGE_MARGIN = 1e-9


def latency_bucket(latency_ms: float) -> int:
    """The bucket a latency in milliseconds falls into."""
    if latency_ms <= MIN_MS:
        return 0
    return min(MAX_BUCKET, math.ceil(math.log(latency_ms / MIN_MS) / _LOG_GAMMA))


def bucket_value(bucket: int) -> float:
    """The representative latency of a bucket: the middle of its range, in milliseconds."""
    if bucket == 0:
        return MIN_MS
    upper = MIN_MS * GAMMA**bucket
    return upper * 2 / (1 + GAMMA)


def percentile(buckets: Iterable[tuple[int, int]], q: float) -> float | None:
    """The ``q``-th percentile (0-100) from ``(bucket, count)`` pairs, or ``None`` if empty."""
    ordered = sorted(buckets)
    total = sum(count for _, count in ordered)
    if total == 0:
        return None
    rank = max(1, math.ceil(q / 100 * total))
    seen = 0
    for bucket, count in ordered:
        seen += count
        if seen >= rank:
            return bucket_value(bucket)
    return bucket_value(ordered[-1][0])


def latency_buckets(latencies_ms: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """``latency_bucket`` of many latencies at once, with the same results.

    Raises:
        ValueError: a latency is NaN (as ``latency_bucket`` does).
        OverflowError: a latency is infinite (as ``latency_bucket`` does).
    """
    small = latencies_ms <= MIN_MS
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        exact = np.log(latencies_ms / MIN_MS) / _LOG_GAMMA
        # NumPy's log may differ from math.log in the last bit, which matters only within
        # a rounding error of a bucket edge: those values, and NaN or infinity, go through
        # latency_bucket itself.
        doubtful = ~small & ~(np.abs(exact - np.rint(exact)) > _EDGE_MARGIN)
    sure = ~small & ~doubtful
    buckets = np.zeros(latencies_ms.shape, dtype=np.int64)
    buckets[sure] = np.minimum(MAX_BUCKET, np.ceil(exact[sure]))
    for i in np.flatnonzero(doubtful).tolist():
        buckets[i] = latency_bucket(float(latencies_ms[i]))
    return buckets
