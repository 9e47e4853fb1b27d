"""``GET /analytics/cache``: how often predictions were answered from the cache."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from predledger.api.deps import LedgerDep, SessionDep
from predledger.cache.queries import cache_analytics
from predledger.cache.schemas import CacheAnalytics

router = APIRouter(prefix="/analytics", tags=["analytics"])


@router.get("/cache", summary="Cache hits per model version, and this process's cache")
def cache_hit_rate(
    session: SessionDep,
    ledger: LedgerDep,
    model: Annotated[str | None, Query(description="Only this model.")] = None,
) -> CacheAnalytics:
    """Logged predictions with ``cache_hit`` (all time) and live figures of this process."""
    cache = ledger.cache_if_started
    return cache_analytics(session, model=model, live=cache.stats() if cache else None)
