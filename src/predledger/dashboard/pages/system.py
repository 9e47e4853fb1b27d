"""System: requests by endpoint and status, response times, and the host's CPU and memory."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from predledger.api.deps import SessionDep
from predledger.dashboard import charts
from predledger.dashboard.queries import metric_series, request_series
from predledger.dashboard.rendering import render
from predledger.dashboard.timerange import TimeRange, parse_range
from predledger.traffic.queries import RequestStats, request_stats

router = APIRouter(prefix="/dashboard")
# Requests have no rollup: the page reads the window's request rows (and ranks them for the
# p95s), so its cost follows the requests in the window; windows stay within the hour.
SystemRange = Literal["15m", "1h"]
SYSTEM_RANGES: tuple[str, ...] = ("15m", "1h")
BUCKET_SECONDS = {"15m": 15, "1h": 60}
BUCKET_NAMES = {"15m": "15 seconds", "1h": "minute"}
PERCENT_METRICS = ("cpu_percent", "memory_percent", "disk_percent", "gpu_utilization_percent")
MEGABYTE_METRICS = ("process_memory_mb", "gpu_memory_used_mb")
NO_REQUESTS = "no requests in this range: requests to an instrumented app are logged on their own"
NO_SAMPLES = (
    "no system samples in this range: `predledger serve` samples CPU and memory every 15 s "
    "(or start SystemMetricsSampler(ledger))"
)


def _request_charts(
    session: Session, span: TimeRange, stats: RequestStats
) -> dict[str, charts.Figure]:
    buckets = request_series(
        session, since=span.since, until=span.until, width_s=BUCKET_SECONDS[span.name]
    )
    starts = [b.start for b in buckets]
    endpoints = sorted(stats.by_endpoint.items(), key=lambda item: -item[1].count)[:15]
    no_legend = {"showlegend": False}
    figures: dict[str, charts.Figure] = {
        "requests": charts.figure(
            [charts.line("requests", starts, [b.count for b in buckets]),
             charts.line("5xx", starts, [b.server_errors for b in buckets], colour="#dc2626")],
            y_title="requests", span=(span.since, span.until),
        ),
        "response": charts.figure(
            [charts.line("mean", starts, [b.mean_ms for b in buckets]),
             charts.line("worst", starts, [b.max_ms for b in buckets], dash="dot")],
            y_title="response time (ms)", span=(span.since, span.until),
        ),
        "endpoints": charts.figure(
            [{"type": "bar", "orientation": "h", "name": "requests",
              "x": [s.count for _, s in endpoints], "y": [e for e, _ in endpoints]}],
            time_axis=False,
            extra_layout={"showlegend": False, "height": 120 + 22 * len(endpoints),
                          "yaxis": {"autorange": "reversed", "automargin": True},
                          "xaxis": {"title": {"text": "requests"}, "rangemode": "tozero"}},
        ),
        "statuses": charts.figure(
            [charts.bars("requests", list(stats.by_status), list(stats.by_status.values()))],
            y_title="requests", time_axis=False, extra_layout=no_legend,
        ),
    }  # fmt: skip
    return {k: f if stats.total else {"empty": NO_REQUESTS} for k, f in figures.items()}


def _host_charts(session: Session, span: TimeRange) -> dict[str, charts.Figure]:
    width = BUCKET_SECONDS[span.name]
    percent = metric_series(session, PERCENT_METRICS, since=span.since, until=span.until,
                            width_s=width)  # fmt: skip
    megabytes = metric_series(session, MEGABYTE_METRICS, since=span.since, until=span.until,
                              width_s=width)  # fmt: skip
    figures = {
        "cpu": charts.figure(
            [charts.line(name, xs, ys) for name, (xs, ys) in percent.items()],
            y_title="percent",
            span=(span.since, span.until),
        ),
        "memory": charts.figure(
            [charts.line(name, xs, ys) for name, (xs, ys) in megabytes.items()],
            y_title="MB",
            span=(span.since, span.until),
        ),
    }
    return {k: f if f["data"] else {"empty": NO_SAMPLES} for k, f in figures.items()}


@router.get("/system", response_class=HTMLResponse, include_in_schema=False)
def system_page(
    request: Request,
    session: SessionDep,
    range_name: Annotated[SystemRange, Query(alias="range")] = "1h",
) -> HTMLResponse:
    """The service's traffic and the host's resources over the last hour (or 15 minutes)."""
    span = parse_range(range_name)
    stats = request_stats(session, since=span.since, until=span.until)
    figures = {**_request_charts(session, span, stats), **_host_charts(session, span)}
    context = {
        "span": span,
        "ranges": SYSTEM_RANGES,
        "slice": BUCKET_NAMES[span.name],
        "stats": stats,
        "endpoints": sorted(stats.by_endpoint.items(), key=lambda item: -item[1].count),
        "charts": figures,
    }
    return render(request, "system.html", context, page="system")
