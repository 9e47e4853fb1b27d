"""Reads of the API request log: usage by route and status, response-time percentiles.

Request records have no rollup, so every read here covers a time window and uses the
``created_at`` index; the window keeps the cost bounded however long the log grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from predledger.traffic.models import ApiRequest, UserSession
from predledger.traffic.schemas import EndpointStats

A = ApiRequest


@dataclass
class RequestStats:
    """Counts and timings of the requests in a window."""

    total: int = 0
    server_errors: int = 0
    client_errors: int = 0
    time_sum: float = 0.0
    p95_ms: float | None = None
    by_endpoint: dict[str, EndpointStats] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    active_sessions: int = 0


def request_stats(session: Session, *, since: datetime, until: datetime) -> RequestStats:
    """Requests between ``since`` and ``until``: by route, method and status, with p95s."""
    window = [A.created_at >= since, A.created_at < until]
    groups = session.execute(
        select(A.endpoint, A.method, A.status_code, func.count(), func.sum(A.response_time_ms))
        .where(*window)
        .group_by(A.endpoint, A.method, A.status_code)
    ).all()
    stats = RequestStats()
    per_endpoint: dict[str, list[Any]] = {}
    for endpoint, method, status, count, time_sum in groups:
        count, time_sum = int(count), float(time_sum or 0.0)
        stats.total += count
        stats.time_sum += time_sum
        stats.by_status[str(status)] = stats.by_status.get(str(status), 0) + count
        server_error = count if status >= 500 else 0
        stats.server_errors += server_error
        stats.client_errors += count if 400 <= status < 500 else 0
        acc = per_endpoint.setdefault(endpoint, [0, 0, 0.0, {}])
        acc[0] += count
        acc[1] += server_error
        acc[2] += time_sum
        acc[3][method] = acc[3].get(method, 0) + count
    p95s = _p95_by_endpoint(session, window)
    stats.p95_ms = _p95_overall(session, window)
    for endpoint, (count, errors, time_sum, methods) in sorted(per_endpoint.items()):
        stats.by_endpoint[endpoint] = EndpointStats(
            count=count,
            errors=errors,
            avg_response_time_ms=time_sum / count,
            p95_response_time_ms=p95s.get(endpoint),
            methods=methods,
        )
    stats.by_status = dict(sorted(stats.by_status.items()))
    stats.active_sessions = int(
        session.execute(
            select(func.count()).select_from(UserSession).where(UserSession.last_seen >= since)
        ).scalar_one()
    )
    return stats


def _ranked(window: list[ColumnElement[bool]], *, per_endpoint: bool) -> Any:
    """Each request's rank by response time (within its route) and the group's size."""
    partition = [A.endpoint] if per_endpoint else None
    return (
        select(
            A.endpoint,
            A.response_time_ms,
            func.row_number()
            .over(partition_by=partition, order_by=A.response_time_ms)
            .label("rank"),
            func.count().over(partition_by=partition).label("size"),
        )
        .where(*window)
        .subquery()
    )


def _p95_by_endpoint(session: Session, window: list[ColumnElement[bool]]) -> dict[str, float]:
    # The nearest-rank 95th percentile, ceil(0.95 n), in SQL both backends share.
    ranked = _ranked(window, per_endpoint=True)
    rows = session.execute(
        select(ranked.c.endpoint, ranked.c.response_time_ms).where(
            ranked.c.rank == (ranked.c.size * 95 + 99) // 100
        )
    ).all()
    return {endpoint: float(value) for endpoint, value in rows}


def _p95_overall(session: Session, window: list[ColumnElement[bool]]) -> float | None:
    ranked = _ranked(window, per_endpoint=False)
    value = session.execute(
        select(ranked.c.response_time_ms).where(ranked.c.rank == (ranked.c.size * 95 + 99) // 100)
    ).scalar()
    return float(value) if value is not None else None
