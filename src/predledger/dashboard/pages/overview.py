"""Overview: traffic, latency, errors, cache hits and labels per model version, and more.

Also the open alerts and the actions waiting for approval. The page refreshes itself from
``/dashboard/data/overview`` every few seconds.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from predledger.api.deps import SessionDep
from predledger.dashboard import charts
from predledger.dashboard.monitoring import open_alerts, pending_approvals
from predledger.dashboard.queries import (
    HourPoint,
    VersionStats,
    known_models,
    overview_numbers,
)
from predledger.dashboard.rendering import render, render_fragment
from predledger.dashboard.timerange import HOURLY_RANGES, TimeRange, parse_range

router = APIRouter(prefix="/dashboard")
REFRESH_SECONDS = 5
RangeParam = Annotated[str | None, Query(alias="range", description="1h, 6h, 24h, 7d or 30d.")]
ModelParam = Annotated[str | None, Query(description="Only this model.")]
NO_TRAFFIC = "no predictions in this range: log one with ledger.log(model=..., version=..., ...)"


def _traffic_charts(points: list[HourPoint], span: TimeRange) -> dict[str, charts.Figure]:
    series: dict[str, list[HourPoint]] = defaultdict(list)
    for point in points:
        series[f"{point.model} {point.version}"].append(point)
    traffic = [
        charts.line(name, [p.start for p in items], [p.count for p in items])
        for name, items in sorted(series.items())
    ]
    errors = [
        charts.line(
            name, [p.start for p in items], [p.errors / p.count if p.count else None for p in items]
        )
        for name, items in sorted(series.items())
    ]
    return {
        "traffic": charts.figure(traffic, y_title="predictions", span=_axis(span)),
        "errors": charts.figure(errors, y_title="error rate", percent=True, span=_axis(span)),
    }


def _axis(span: TimeRange) -> tuple[datetime, datetime]:
    """The time axis of the range: from its first hour (or day) to its end."""
    start = span.first_hour.replace(hour=0) if span.bucket == "day" else span.first_hour
    return start, span.until


def _latency_chart(
    points: list[tuple[datetime, list[float | None]]], span: TimeRange
) -> charts.Figure:
    starts = [start for start, _ in points]
    traces = [
        charts.line(name, starts, [values[index] for _, values in points])
        for index, name in enumerate(("p50", "p95", "p99"))
    ]
    return charts.figure(traces, y_title="latency (ms)", span=_axis(span))


def _labels_chart(counts: dict[str, dict[str, int]]) -> charts.Figure:
    traces = [
        charts.bars(model, list(labels), list(labels.values())) for model, labels in counts.items()
    ]
    return charts.figure(traces, y_title="predictions", barmode="group", time_axis=False)


def _empty(figure: charts.Figure, message: str) -> charts.Figure:
    has_points = any(len(trace.get("x", ())) for trace in figure["data"])
    return figure if has_points else {"empty": message}


def _totals(stats: list[VersionStats]) -> dict[str, Any]:
    count = sum(s.count for s in stats)
    return {
        "count": count,
        "error_rate": sum(s.errors for s in stats) / count if count else None,
        "cache_hit_rate": sum(s.cache_hits for s in stats) / count if count else None,
    }


def overview_data(session: Session, span: TimeRange, model: str | None) -> dict[str, Any]:
    """The refreshable parts of the overview: HTML fragments and chart figures."""
    numbers = overview_numbers(session, span, model)
    stats = numbers.stats
    alerts, alert_total = open_alerts(session, model=model)
    actions, action_total = pending_approvals(session, model=model)
    context = {
        "stats": stats,
        "totals": _totals(stats),
        "alerts": alerts,
        "alert_total": alert_total,
        "actions": actions,
        "action_total": action_total,
        "span": span,
    }
    figures = _traffic_charts(numbers.traffic, span)
    figures["latency"] = _latency_chart(numbers.latency.series(), span)
    figures["labels"] = _labels_chart(numbers.labels)
    return {
        "html": {
            "overview-stats": render_fragment("overview_stats.html", context),
            "overview-monitoring": render_fragment("overview_monitoring.html", context),
        },
        "charts": {key: _empty(figure, NO_TRAFFIC) for key, figure in figures.items()},
        "generated_at": span.until.isoformat(),
    }


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def overview_page(
    request: Request, session: SessionDep, range_name: RangeParam = None, model: ModelParam = None
) -> HTMLResponse:
    """The overview page."""
    span = parse_range(range_name)
    data = overview_data(session, span, model or None)
    context = {
        "span": span,
        "ranges": HOURLY_RANGES,
        "model": model or None,
        "models": list(known_models(session)),
        "html": {key: Markup(value) for key, value in data["html"].items()},
        "charts": data["charts"],
        "refresh_seconds": REFRESH_SECONDS,
    }
    return render(request, "overview.html", context, page="overview")


@router.get("/data/overview", include_in_schema=False)
def overview_json(
    session: SessionDep, range_name: RangeParam = None, model: ModelParam = None
) -> Response:
    """The overview's fragments and charts, for its refresh every few seconds."""
    data = overview_data(session, parse_range(range_name), model or None)
    return Response(
        orjson.dumps(data), media_type="application/json", headers={"Cache-Control": "no-store"}
    )
