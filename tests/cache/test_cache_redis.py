"""The Redis tier against the real Redis: shared between processes, with a time to live."""

from __future__ import annotations

import pytest
import redis

from predledger.cache import PredictionCache, cache_key, input_hash


def test_answers_are_shared_through_redis_and_expire(redis_url: str) -> None:
    one = PredictionCache(redis_url=redis_url, ttl=120, namespace="t")
    other = PredictionCache(redis_url=redis_url, ttl=120, namespace="t")  # another replica
    first = one.get_or_compute("sentiment", "1", {"text": "great"}, lambda: {"label": "positive"})
    shared = other.get_or_compute("sentiment", "1", {"text": "great"}, lambda: {"label": "?"})
    assert (first.hit, shared.hit, shared.tier) == (False, True, "redis")
    assert shared.value == {"label": "positive"}

    client = redis.Redis.from_url(redis_url)
    key = cache_key("sentiment", "1", input_hash({"text": "great"}), "t")
    assert client.get(key) == b'{"label":"positive"}'
    assert 0 < client.pttl(key) <= 120_000
    # A new version has keys of its own.
    assert other.get_or_compute("sentiment", "2", {"text": "great"}, lambda: {}).hit is False
    assert client.exists(cache_key("sentiment", "2", input_hash({"text": "great"}), "t")) == 1
    client.close()
    stats = other.stats()
    assert (stats.backend, stats.redis_available, stats.hits_by_tier) == (
        "redis",
        True,
        {"redis": 1},
    )
    one.close()
    other.close()


def test_the_environment_names_the_redis_server(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREDLEDGER_REDIS_URL", redis_url)
    cache = PredictionCache()
    assert cache.redis is not None
    assert cache.memory is None
    cache.close()
