"""The prediction cache: the same model version, the same inputs, the same answer.

Tiers, looked up in order: Redis when a URL is configured (shared by every process),
otherwise an in-process LRU; then, optionally, the ``cache_entries`` table. A hit in the
database tier is copied to the first tier. Every failure of a tier is a miss, never an
error: the caller's ``compute`` runs, and the answer is what it returns.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from predledger.cache.database import DatabaseTier
from predledger.cache.keys import (
    DEFAULT_NAMESPACE,
    cache_key,
    decode_value,
    encode_value,
    input_hash,
)
from predledger.cache.memory import MemoryTier
from predledger.cache.redis_tier import DEFAULT_RETRY_AFTER_S, DEFAULT_SOCKET_TIMEOUT_S, RedisTier
from predledger.cache.scope import note_lookup
from predledger.errors import ConfigurationError
from predledger.store.engine import Store

ENV_REDIS_URL = "PREDLEDGER_REDIS_URL"
ENV_CACHE_TTL = "PREDLEDGER_CACHE_TTL"
ENV_CACHE_DATABASE = "PREDLEDGER_CACHE_DATABASE"
DEFAULT_TTL_S = 3600.0
T = TypeVar("T")


@dataclass(frozen=True)
class CacheResult(Generic[T]):
    """What a lookup gave: the answer, whether it was cached, and which tier had it."""

    value: T
    hit: bool
    tier: str | None
    input_hash: str


@dataclass(frozen=True)
class CacheStats:
    """Counters of one process's cache since it started.

    Attributes:
        hits: lookups answered from a tier.
        misses: lookups that computed.
        hit_rate: ``hits / (hits + misses)``, ``None`` before the first lookup.
        hits_by_tier: hits per tier (``redis``, ``memory``, ``database``).
        backend: the first tier: ``redis`` or ``memory``.
        redis_available: whether Redis answered its last call (``None`` without Redis).
        redis_failures: Redis calls that failed (each opened the circuit breaker).
        last_redis_error: the latest Redis failure.
    """

    hits: int
    misses: int
    hit_rate: float | None
    hits_by_tier: dict[str, int]
    backend: str
    redis_available: bool | None
    redis_failures: int
    last_redis_error: str | None


class PredictionCache:
    """Caches model answers by model, version and a canonical hash of the inputs.

    Args:
        redis_url: the Redis server; default ``PREDLEDGER_REDIS_URL``; without one, an
            in-process LRU of ``max_entries`` answers.
        ttl: seconds an answer is kept (default ``PREDLEDGER_CACHE_TTL`` or an hour).
        max_entries: the in-process LRU's size.
        store: also keep answers in this database's ``cache_entries`` table.
        namespace: the prefix of the Redis keys.
        socket_timeout: seconds Redis may take to connect or answer before it counts as away.
        retry_after: seconds Redis is skipped after a failure before it is tried again.
    """

    def __init__(
        self,
        *,
        redis_url: str | None = None,
        ttl: float | None = None,
        max_entries: int = 10_000,
        store: Store | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        socket_timeout: float = DEFAULT_SOCKET_TIMEOUT_S,
        retry_after: float = DEFAULT_RETRY_AFTER_S,
    ) -> None:
        url = redis_url if redis_url is not None else os.environ.get(ENV_REDIS_URL) or None
        self.ttl = ttl if ttl is not None else float(os.environ.get(ENV_CACHE_TTL) or DEFAULT_TTL_S)
        if self.ttl <= 0:
            raise ConfigurationError(f"the cache ttl must be positive, got {self.ttl}")
        self.namespace = namespace
        self.redis = (
            RedisTier(url, socket_timeout=socket_timeout, retry_after=retry_after) if url else None
        )
        self.memory = MemoryTier(max_entries) if self.redis is None else None
        self.database = DatabaseTier(store) if store is not None else None
        self._lock = threading.Lock()
        self._hits: dict[str, int] = {}
        self._misses = 0

    @classmethod
    def for_store(cls, store: Store) -> PredictionCache:
        """The cache the environment describes (database tier: ``PREDLEDGER_CACHE_DATABASE=1``)."""
        wanted = os.environ.get(ENV_CACHE_DATABASE, "").lower() in ("1", "true", "yes", "on")
        return cls(store=store if wanted else None)

    def get_or_compute(
        self,
        model: str,
        version: str,
        inputs: Any,
        compute: Callable[[], T],
        *,
        ttl: float | None = None,
        encode: Callable[[T], Any] | None = None,
        decode: Callable[[Any], T] | None = None,
    ) -> CacheResult[T]:
        """The cached answer for these inputs, or ``compute()``'s (then cached).

        Args:
            model: the model's name.
            version: the model's version (part of the key).
            inputs: what the model is given; must be JSON-serialisable.
            compute: runs the model; called only on a miss. Its exceptions propagate and
                nothing is cached.
            ttl: seconds to keep this answer (default: the cache's).
            encode: turns the answer into JSON-serialisable data (default: as is).
            decode: turns that data back into an answer on a hit (default: as decoded).
        """
        digest = input_hash(inputs)
        version = str(version)
        found, tier = self._lookup(model, version, digest)
        if found is not None:
            try:
                data = decode_value(found)
                value = decode(data) if decode is not None else data
            except Exception:  # a damaged or foreign entry is a miss, never an error
                found = None
            else:
                self._count(tier)
                note_lookup(True)
                return CacheResult(value, True, tier, digest)
        value = compute()
        self._count(None)
        note_lookup(False)
        stored = encode_value(encode(value) if encode is not None else value)
        self._store(model, version, digest, stored, ttl or self.ttl)
        return CacheResult(value, False, None, digest)

    def _lookup(self, model: str, version: str, digest: str) -> tuple[bytes | None, str | None]:
        first = self.redis or self.memory
        assert first is not None
        key = cache_key(model, version, digest, self.namespace)
        found = first.get(key)
        if found is not None:
            return found, first.name
        if self.database is not None:
            found = self.database.get(model, version, digest)
            if found is not None:
                first.set(key, found, self.ttl)
                return found, self.database.name
        return None, None

    def _store(self, model: str, version: str, digest: str, value: bytes, ttl: float) -> None:
        first = self.redis or self.memory
        assert first is not None
        first.set(cache_key(model, version, digest, self.namespace), value, ttl)
        if self.database is not None:
            self.database.set(model, version, digest, value, ttl)

    def _count(self, tier: str | None) -> None:
        with self._lock:
            if tier is None:
                self._misses += 1
            else:
                self._hits[tier] = self._hits.get(tier, 0) + 1

    def stats(self) -> CacheStats:
        """Hits, misses and the state of Redis, for ``/metrics`` and ``/analytics/cache``."""
        with self._lock:
            hits_by_tier = dict(self._hits)
            misses = self._misses
        hits = sum(hits_by_tier.values())
        redis = self.redis
        return CacheStats(
            hits=hits, misses=misses,
            hit_rate=hits / (hits + misses) if hits + misses else None,
            hits_by_tier=hits_by_tier, backend="redis" if redis else "memory",
            redis_available=redis.available if redis else None,
            redis_failures=redis.breaker.failures if redis else 0,
            last_redis_error=redis.breaker.last_error if redis else None,
        )  # fmt: skip

    def close(self) -> None:
        """Close Redis connections and write out the database tier's queue."""
        if self.redis is not None:
            self.redis.close()
        if self.database is not None:
            self.database.close()
