"""``GET /admin/stats``: API usage by route and status, response times, errors, models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from predledger.analytics.queries import predictions_by_model
from predledger.api.deps import SessionDep
from predledger.traffic.queries import request_stats
from predledger.traffic.schemas import AdminStats

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/stats", summary="Requests by endpoint and status, response times, error rate")
def admin_stats(
    session: SessionDep,
    hours: Annotated[
        float, Query(gt=0, le=24 * 366, description="The window, in hours back from now.")
    ] = 24,
) -> AdminStats:
    """Usage over the last ``hours`` (default a day) and predictions per model (all time)."""
    until = datetime.now(UTC)
    since = until - timedelta(hours=hours)
    stats = request_stats(session, since=since, until=until)
    by_model = predictions_by_model(session)
    return AdminStats(
        since=since,
        until=until,
        total_requests=stats.total,
        error_rate=stats.server_errors / stats.total if stats.total else 0.0,
        client_error_rate=stats.client_errors / stats.total if stats.total else 0.0,
        avg_response_time_ms=stats.time_sum / stats.total if stats.total else None,
        p95_response_time_ms=stats.p95_ms,
        requests_by_endpoint=stats.by_endpoint,
        requests_by_status=stats.by_status,
        active_sessions=stats.active_sessions,
        total_predictions=sum(by_model.values()),
        predictions_by_model=by_model,
    )
