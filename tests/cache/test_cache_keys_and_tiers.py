"""Cache keys, the in-process tier, the database tier, and what a hit logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from predledger import InvalidRecordError, Ledger
from predledger.cache import PredictionCache, cache_key, cached_prediction, input_hash
from predledger.cache.memory import MemoryTier
from predledger.store.engine import Store
from predledger.tracking import track_prediction

from support.api_service import wait_until
from support.db_checks import query


class Counting:
    """A model that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, inputs: Any) -> dict[str, Any]:
        self.calls += 1
        return {"label": "yes" if inputs.get("x", 0) > 0 else "no", "calls": self.calls}


def test_the_key_is_model_version_and_a_canonical_hash_of_the_inputs() -> None:
    assert input_hash({"a": 1, "b": {"c": 2, "d": 3}}) == input_hash(
        {"b": {"d": 3, "c": 2}, "a": 1}
    )
    assert input_hash({"a": 1}) != input_hash({"a": 1.0})
    assert input_hash([1, 2]) != input_hash([2, 1])
    digest = input_hash("text")
    assert cache_key("churn", "3", digest) == f"predledger:cache:churn:3:{digest}"
    assert cache_key("a:b", "1", digest) != cache_key("a", "b:1", digest)
    with pytest.raises(InvalidRecordError, match="cannot be hashed as JSON"):
        input_hash({"when": object()})


def test_a_repeated_input_is_computed_once_per_version() -> None:
    cache = PredictionCache(redis_url="")
    model = Counting()
    first = cache.get_or_compute("m", "1", {"x": 1}, lambda: model({"x": 1}))
    again = cache.get_or_compute("m", "1", {"x": 1}, lambda: model({"x": 1}))
    assert (first.hit, again.hit, again.tier) == (False, True, "memory")
    assert again.value == first.value
    # A promoted version never answers with its predecessor's results.
    promoted = cache.get_or_compute("m", "2", {"x": 1}, lambda: model({"x": 1}))
    assert promoted.hit is False
    assert model.calls == 2
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.backend) == (1, 2, "memory")
    assert stats.hit_rate == pytest.approx(1 / 3)
    assert stats.redis_available is None


def test_a_failing_model_is_not_cached() -> None:
    cache = PredictionCache(redis_url="")

    def broken() -> dict[str, Any]:
        raise RuntimeError("model exploded")

    with pytest.raises(RuntimeError, match="exploded"):
        cache.get_or_compute("m", "1", "t", broken)
    assert cache.get_or_compute("m", "1", "t", lambda: {"ok": True}).hit is False


def test_the_lru_forgets_the_oldest_and_entries_expire() -> None:
    now = [0.0]
    tier = MemoryTier(max_entries=2, clock=lambda: now[0])
    tier.set("a", b"1", ttl=10)
    tier.set("b", b"2", ttl=10)
    assert tier.get("a") == b"1"  # a is now the most recently used
    tier.set("c", b"3", ttl=10)
    assert tier.get("b") is None
    assert tier.get("a") == b"1"
    now[0] = 10.0
    assert tier.get("a") is None
    assert len(tier) == 1


def test_a_damaged_entry_is_a_miss() -> None:
    cache = PredictionCache(redis_url="")
    assert cache.memory is not None
    cache.memory.set(cache_key("m", "1", input_hash("t")), b"not json", ttl=60)
    result = cache.get_or_compute("m", "1", "t", lambda: "fresh")
    assert (result.hit, result.value) == (False, "fresh")


def test_hits_are_logged_with_cache_hit_inside_track_prediction(
    sqlite_url: str, journal_dir: Path
) -> None:
    model = Counting()
    with Ledger(sqlite_url, journal_dir=journal_dir, cache=PredictionCache(redis_url="")) as ledger:
        for _ in range(3):
            with track_prediction(ledger, model="m", version="1", inputs={"x": 1}) as p:
                p.label = ledger.cached("m", "1", {"x": 1}, lambda: model({"x": 1}))["label"]
        # Outside a tracked block a lookup logs nothing.
        ledger.cached("m", "1", {"x": 2}, lambda: model({"x": 2}))
        ledger.flush(10)
    rows = query(sqlite_url, "SELECT cache_hit FROM predictions ORDER BY id")
    assert [bool(r["cache_hit"]) for r in rows] == [False, True, True]
    rollup = query(
        sqlite_url, "SELECT SUM(count) AS n, SUM(cache_hits) AS hits FROM prediction_rollups"
    )
    assert (rollup[0]["n"], rollup[0]["hits"]) == (3, 2)
    assert model.calls == 2


def test_the_decorator(sqlite_url: str) -> None:
    model = Counting()
    with Ledger(sqlite_url, durability="memory", cache=PredictionCache(redis_url="")) as ledger:

        @cached_prediction(ledger, model="m", version="1")
        def score(inputs: dict[str, int]) -> dict[str, Any]:
            return model(inputs)

        assert score({"x": 1}) == score({"x": 1})
        assert model.calls == 1
        assert score.__name__ == "score"


def test_the_database_tier_outlives_the_process(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    from predledger.store.migrate import ensure_schema

    ensure_schema(store)
    first = PredictionCache(redis_url="", store=store)
    first.get_or_compute("m", "1", {"x": 1}, lambda: {"label": "yes"})
    assert first.database is not None
    assert first.database.flush()
    first.close()
    # A new process: its memory is empty, the table still has the answer.
    second = PredictionCache(redis_url="", store=store)
    found = second.get_or_compute("m", "1", {"x": 1}, lambda: {"label": "recomputed"})
    assert (found.hit, found.tier, found.value) == (True, "database", {"label": "yes"})
    assert second.get_or_compute("m", "1", {"x": 1}, lambda: {}).tier == "memory"
    short = PredictionCache(redis_url="", store=store, ttl=0.001)
    short.get_or_compute("m", "9", "t", lambda: "old")
    assert short.database is not None
    assert short.database.flush()
    wait_until(lambda: short.database.get("m", "9", input_hash("t")) is None)  # type: ignore[union-attr]
    assert short.database.purge_expired() == 1
    for cache in (second, short):
        cache.close()
    rows = query(
        sqlite_url, "SELECT model_version, value FROM cache_entries ORDER BY model_version"
    )
    assert rows[0] == {"model_version": "1", "value": '{"label":"yes"}'}
    store.dispose()
