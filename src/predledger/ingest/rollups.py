"""Aggregates a batch's freshly inserted records into rollup and sketch increments.

The increments are added to the stored rows with ``INSERT ... ON CONFLICT DO UPDATE``,
so many writers in many processes can add to the same hour without losing counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from predledger.predictions.sketch import latency_bucket

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


def aggregate_predictions(records: Iterable[dict[str, Any]], into: Increments) -> None:
    """Add prediction records to the per-hour rollups and latency sketch."""
    rollups, buckets = into.rollups, into.buckets
    for r in records:
        ts = r["ts"]
        hour = ts - ts % HOUR_MICROS
        model, version = r["model"], r["version"]
        key = (model, version, hour, r.get("label") or "", r.get("status", "success"))
        acc = rollups.get(key)
        if acc is None:
            acc = rollups[key] = [0, 0, 0, 0.0, 0, 0.0, 0, 0.0, 0.0, ts, ts]
        acc[0] += 1
        if r.get("cache_hit"):
            acc[1] += 1
        score = r.get("probability")
        if score is not None:
            acc[2] += 1
            acc[3] += score
        value = r.get("value")
        if value is not None:
            acc[4] += 1
            acc[5] += value
        latency = r.get("latency_ms")
        if latency is not None:
            acc[6] += 1
            acc[7] += latency
            acc[8] = max(acc[8], latency)
            bucket_key = (model, version, hour, latency_bucket(latency))
            buckets[bucket_key] = buckets.get(bucket_key, 0) + 1
        acc[9] = min(acc[9], ts)
        acc[10] = max(acc[10], ts)


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
