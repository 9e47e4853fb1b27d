"""Analytics answered from the rollups; every route takes ``model`` and ``version``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from predledger.analytics import queries
from predledger.analytics.queries import ModelFilter
from predledger.analytics.schemas import (
    AnalyticsSummary,
    LatencySummary,
    RecentPrediction,
    TimeBucket,
)
from predledger.api.deps import SessionDep

router = APIRouter(prefix="/analytics", tags=["analytics"])

ModelName = Annotated[str | None, Query(description="Only this model.")]
ModelVersion = Annotated[str | None, Query(description="Only this model version.")]


@router.get("/summary", summary="Count, mean confidence, mean latency and date range")
def summary(
    session: SessionDep, model: ModelName = None, version: ModelVersion = None
) -> AnalyticsSummary:
    """Totals over every prediction (of the model, when given)."""
    return queries.prediction_summary(session, ModelFilter(model, version))


@router.get("/label-distribution", summary="How many predictions gave each label")
def label_distribution(
    session: SessionDep, model: ModelName = None, version: ModelVersion = None
) -> dict[str, int]:
    """``{label: count}``, most frequent first."""
    return queries.label_distribution(session, ModelFilter(model, version))


@router.get("/recent", summary="The newest predictions, without their inputs")
def recent(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many, at most 1000.")] = 100,
    model: ModelName = None,
    version: ModelVersion = None,
) -> list[RecentPrediction]:
    """The newest predictions; inputs are never included (privacy)."""
    return queries.recent_predictions(session, ModelFilter(model, version), limit=limit)


@router.get("/latency", summary="Latency percentiles (within 5%) and maximum")
def latency(
    session: SessionDep, model: ModelName = None, version: ModelVersion = None
) -> LatencySummary:
    """p50, p90, p95 and p99 from the latency sketch; the maximum is exact."""
    return queries.latency_summary(session, ModelFilter(model, version))


@router.get("/timeseries", summary="Counts, errors and means per hour or day")
def timeseries(
    session: SessionDep,
    bucket: Literal["hour", "day"] = "hour",
    since: Annotated[
        datetime | None, Query(description="Start (ISO 8601); default a day (hours) or 30 days.")
    ] = None,
    until: Annotated[datetime | None, Query(description="End (ISO 8601); default now.")] = None,
    model: ModelName = None,
    version: ModelVersion = None,
) -> list[TimeBucket]:
    """One entry per hour (or day) that had predictions, oldest first."""
    start = since or queries.default_since(bucket)
    return queries.prediction_timeseries(
        session, ModelFilter(model, version), since=start, until=until, bucket=bucket
    )
