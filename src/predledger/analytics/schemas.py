"""Shapes of the analytics answers (the seed systems' routes keep their field names)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class DateRange(BaseModel):
    """When the first and the last matching prediction was made."""

    earliest: datetime | None
    latest: datetime | None


class AnalyticsSummary(BaseModel):
    """``GET /analytics/summary``."""

    total_predictions: int
    avg_confidence: float | None = Field(description="Mean probability of the predicted label.")
    avg_latency_ms: float | None
    date_range: DateRange


class RecentPrediction(BaseModel):
    """One row of ``GET /analytics/recent``: never the inputs."""

    id: str
    timestamp: datetime
    model_name: str
    model_version: str
    label: str | None
    sentiment: str | None = Field(description="The label, under the sentiment service's name.")
    confidence: float | None
    value: float | None
    latency_ms: float | None
    status: str
    cache_hit: bool


class LatencySummary(BaseModel):
    """``GET /analytics/latency``: percentiles from the latency sketch (within 5%)."""

    count: int
    p50_ms: float | None
    p90_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None


class TimeBucket(BaseModel):
    """One hour or day of ``GET /analytics/timeseries``."""

    start: datetime
    count: int
    errors: int
    avg_confidence: float | None
    avg_latency_ms: float | None
