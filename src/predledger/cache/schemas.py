"""Shapes of the cache's figures: ``GET /analytics/cache``."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CacheVersionStats(BaseModel):
    """Logged predictions of one model version, and how many were cache hits."""

    model_name: str
    model_version: str
    predictions: int
    cache_hits: int
    hit_rate: float | None


class CacheProcessStats(BaseModel):
    """This process's cache since it started (each worker has its own)."""

    backend: str = Field(description="redis or memory")
    hits: int
    misses: int
    hit_rate: float | None
    hits_by_tier: dict[str, int]
    redis_available: bool | None
    redis_failures: int


class CacheAnalytics(BaseModel):
    """Cache hits among logged predictions (all time, from the rollups) and live figures."""

    predictions: int
    cache_hits: int
    hit_rate: float | None
    by_version: list[CacheVersionStats]
    process: CacheProcessStats | None = Field(
        description="This process's lookups; null until the service used its cache."
    )
