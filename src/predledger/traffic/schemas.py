"""Shapes of the request statistics ``GET /admin/stats`` answers with."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class EndpointStats(BaseModel):
    """The requests one route template answered."""

    count: int
    errors: int = Field(description="Responses with a 5xx status.")
    avg_response_time_ms: float
    p95_response_time_ms: float | None
    methods: dict[str, int]


class AdminStats(BaseModel):
    """API usage over a window, and how many predictions each model made."""

    since: datetime
    until: datetime
    total_requests: int
    error_rate: float = Field(description="Share of requests answered with a 5xx status.")
    client_error_rate: float = Field(description="Share answered with a 4xx status.")
    avg_response_time_ms: float | None
    p95_response_time_ms: float | None
    requests_by_endpoint: dict[str, EndpointStats]
    requests_by_status: dict[str, int]
    active_sessions: int = Field(description="Sessions seen in the window.")
    total_predictions: int
    predictions_by_model: dict[str, int]
