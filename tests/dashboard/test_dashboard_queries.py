"""The overview's and system page's reads, on SQLite and PostgreSQL, against known rows."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from dashboard_seed import id_at

from predledger.dashboard.queries import (
    known_models,
    label_counts,
    latency_series,
    metric_series,
    request_series,
    traffic_series,
    version_stats,
)
from predledger.dashboard.timerange import parse_range
from predledger.ingest.bulk import build_bulk_writer
from predledger.store import migrate
from predledger.store.engine import Store

NOW = datetime(2024, 5, 2, 12, 30, tzinfo=UTC)
HOUR_US = 3_600_000_000


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _prediction(ts: int, rng: random.Random, **fields: object) -> dict[str, object]:
    key, exact = id_at(ts, rng)
    record = {"k": "p", "id": key, "ts": exact, "model": "churn", "version": "1",
              "prediction_type": "features", "status": "success", "label": "yes"}  # fmt: skip
    record.update(fields)
    return record


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated store holding predictions in two hours and requests in two minutes."""
    store = Store(database_url)
    migrate.upgrade(store)
    rng = random.Random(3)
    hour_ago = _micros(NOW) - HOUR_US
    records = [_prediction(hour_ago + i, rng, latency_ms=10.0, probability=0.8) for i in range(8)]
    records += [_prediction(hour_ago + 10 + i, rng, status="error", latency_ms=100.0)
                for i in range(2)]  # fmt: skip
    records += [_prediction(_micros(NOW) - 1000 - i, rng, version="2", label="no",
                            cache_hit=True, latency_ms=1.0) for i in range(5)]  # fmt: skip
    records.append(_prediction(_micros(NOW - timedelta(days=3)), rng, model="old"))
    minute = _micros(NOW.replace(minute=20, second=0))
    for offset, status, took in ((1, 200, 10.0), (2, 500, 30.0), (61, 200, 5.0)):
        key, ts = id_at(minute + offset * 1_000_000, rng)
        records.append({"k": "r", "id": key, "ts": ts, "endpoint": "/predict", "method": "POST",
                        "status_code": status, "response_time_ms": took})  # fmt: skip
    for offset, value in ((0, 10.0), (20, 30.0), (70, 50.0)):
        key, ts = id_at(minute + offset * 1_000_000, rng)
        records.append({"k": "s", "id": key, "ts": ts, "name": "cpu_percent", "value": value})
    writer = build_bulk_writer(store.engine, hooks=[])
    writer.write(records)
    writer.close()
    yield store
    store.dispose()


def test_version_stats_sum_the_rollups_of_the_range(store: Store) -> None:
    with store.transaction() as session:
        stats = version_stats(session, parse_range("24h", now=NOW), None)
    one, two = stats
    assert (one.model, one.version, one.count, one.errors) == ("churn", "1", 10, 2)
    assert one.error_rate == pytest.approx(0.2)
    assert one.p50_ms == pytest.approx(10.0, rel=0.05)
    assert one.p99_ms == pytest.approx(100.0, rel=0.05)
    assert (two.count, two.cache_hit_rate) == (5, 1.0)
    assert one.mean_confidence == pytest.approx(0.8)
    assert two.mean_confidence is None


def test_traffic_latency_and_labels_per_hour(store: Store) -> None:
    span = parse_range("24h", now=NOW)
    with store.transaction() as session:
        points = traffic_series(session, span, "churn")
        latency = latency_series(session, span, "churn")
        labels = label_counts(session, span, None)
        models = known_models(session)
    assert [(p.version, p.start.hour, p.count, p.errors) for p in points] == [
        ("1", 11, 10, 2),
        ("2", 12, 5, 0),
    ]
    assert [start.hour for start, _ in latency] == [11, 12]
    assert latency[1][1][0] == pytest.approx(1.0, rel=0.05)
    assert labels == {"churn": {"yes": 10, "no": 5}}
    assert models == {"churn": ["1", "2"], "old": ["1"]}


def test_a_month_is_drawn_per_day(store: Store) -> None:
    span = parse_range("30d", now=NOW)
    with store.transaction() as session:
        points = traffic_series(session, span, None)
    assert {(p.model, p.start.month, p.start.day, p.start.hour) for p in points} == {
        ("churn", 5, 2, 0),
        ("old", 4, 29, 0),
    }
    assert sum(p.count for p in points if p.model == "churn") == 15


def test_requests_are_counted_per_minute(store: Store) -> None:
    with store.transaction() as session:
        buckets = request_series(session, since=NOW - timedelta(hours=1), until=NOW, width_s=60)
    assert [(b.start.minute, b.count, b.server_errors) for b in buckets] == [(20, 2, 1), (21, 1, 0)]
    assert buckets[0].mean_ms == pytest.approx(20.0)
    assert buckets[0].max_ms == pytest.approx(30.0)


def test_system_metrics_are_averaged_per_slice(store: Store) -> None:
    with store.transaction() as session:
        series = metric_series(
            session, ["cpu_percent", "memory_percent"], since=NOW - timedelta(hours=1),
            until=NOW, width_s=60,
        )  # fmt: skip
    starts, means = series["cpu_percent"]
    assert [start.minute for start in starts] == [20, 21]
    assert means == [pytest.approx(20.0), pytest.approx(50.0)]
    assert "memory_percent" not in series


def test_a_thirty_day_view_reads_the_same_percentiles_twice(store: Store) -> None:
    span = parse_range("30d", now=NOW)
    with store.transaction() as session:
        first = version_stats(session, span, None)
        again = version_stats(session, span, None)
    assert first == again
    assert first[0].p99_ms == pytest.approx(100.0, rel=0.05)
