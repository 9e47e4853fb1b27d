"""The cache's figures in ``/metrics``, read at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from predledger.cache.ledger import CachedPredictions


class CacheCollector(Collector):
    """Hits, misses, hit ratio and Redis availability of a ledger's cache, once it has one."""

    def __init__(self, ledger: CachedPredictions) -> None:
        self.ledger = ledger

    def collect(self) -> Iterator[Metric]:
        """Yield the cache's counters (nothing before the cache is first used)."""
        cache = self.ledger.cache_if_started
        if cache is None:
            return
        stats = cache.stats()
        lookups = CounterMetricFamily(
            "predledger_cache_lookups", "Prediction cache lookups by result.", labels=["result"]
        )
        lookups.add_metric(["hit"], float(stats.hits))
        lookups.add_metric(["miss"], float(stats.misses))
        yield lookups
        yield GaugeMetricFamily(
            "predledger_cache_hit_ratio",
            "Share of lookups answered from the cache since the process started.",
            value=stats.hit_rate or 0.0,
        )
        if stats.redis_available is not None:
            yield GaugeMetricFamily(
                "predledger_cache_redis_up",
                "1 while Redis answers; 0 while the cache computes without it.",
                value=1.0 if stats.redis_available else 0.0,
            )
            failures = CounterMetricFamily(
                "predledger_cache_redis_failures", "Redis calls that failed (the caller computed)."
            )
            failures.add_metric([], float(stats.redis_failures))
            yield failures
