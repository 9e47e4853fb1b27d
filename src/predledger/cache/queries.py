"""Cache hit rates of logged predictions, read from the hourly rollups."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from predledger.cache.core import CacheStats
from predledger.cache.schemas import CacheAnalytics, CacheProcessStats, CacheVersionStats
from predledger.predictions.models import PredictionRollup as R


def _rate(hits: int, total: int) -> float | None:
    return hits / total if total else None


def cache_analytics(
    session: Session, *, model: str | None = None, live: CacheStats | None = None
) -> CacheAnalytics:
    """Predictions and cache hits per model version (of ``model`` when given)."""
    query = select(R.model_name, R.model_version, func.sum(R.count), func.sum(R.cache_hits))
    if model is not None:
        query = query.where(R.model_name == model)
    rows = session.execute(
        query.group_by(R.model_name, R.model_version).order_by(R.model_name, R.model_version)
    ).all()
    versions = [
        CacheVersionStats(
            model_name=name,
            model_version=version,
            predictions=int(total or 0),
            cache_hits=int(hits or 0),
            hit_rate=_rate(int(hits or 0), int(total or 0)),
        )
        for name, version, total, hits in rows
    ]
    total = sum(v.predictions for v in versions)
    hits = sum(v.cache_hits for v in versions)
    return CacheAnalytics(
        predictions=total, cache_hits=hits, hit_rate=_rate(hits, total), by_version=versions,
        process=_process(live) if live is not None else None,
    )  # fmt: skip


def _process(stats: CacheStats) -> CacheProcessStats:
    return CacheProcessStats(
        backend=stats.backend, hits=stats.hits, misses=stats.misses, hit_rate=stats.hit_rate,
        hits_by_tier=stats.hits_by_tier, redis_available=stats.redis_available,
        redis_failures=stats.redis_failures,
    )  # fmt: skip
