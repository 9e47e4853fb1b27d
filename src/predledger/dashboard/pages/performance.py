"""Performance: realised metrics per version over time, and estimated against realised.

Reads the ``performance_metrics`` rows the performance job stores (one per metric, version
and window); nothing is scored while the page loads.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from predledger.api.deps import SessionDep
from predledger.dashboard import charts
from predledger.dashboard.rendering import render
from predledger.dashboard.timerange import HOURLY_RANGES, TimeRange, parse_range
from predledger.metrics.models import PerformanceMetric
from predledger.metrics.queries import performance_metric_series
from predledger.metrics.schemas import PerformanceMetricPublic

router = APIRouter(prefix="/dashboard")
Text = Annotated[str | None, Query()]
PREFERRED = ("accuracy", "f1_macro", "roc_auc", "rmse", "mae", "r2")
NO_METRICS = (
    "no performance stored yet: the monitor scores windows every few minutes once "
    "predictions arrive (or run `predledger models performance MODEL`); realised metrics "
    "need ground truth: POST /v1/feedback"
)


def realised_metric_names(session: Session, model: str) -> list[str]:
    """The bare realised metrics stored for a model (``accuracy``, ``rmse``...)."""
    names = session.scalars(
        select(PerformanceMetric.metric_name)
        .distinct()
        .where(PerformanceMetric.model_name == model, PerformanceMetric.kind == "realized")
    )
    return sorted(name for name in names if "[" not in name)


def models_with_metrics(session: Session) -> list[str]:
    """The models that have stored performance, by name."""
    return list(
        session.scalars(
            select(PerformanceMetric.model_name).distinct().order_by(PerformanceMetric.model_name)
        )
    )


def _by_version(
    points: list[PerformanceMetricPublic],
) -> dict[str, tuple[list[datetime], list[float]]]:
    grouped: dict[str, tuple[list[datetime], list[float]]] = defaultdict(lambda: ([], []))
    for point in points:
        xs, ys = grouped[point.model_version]
        xs.append(point.window_start or point.created_at)
        ys.append(point.value)
    return dict(sorted(grouped.items()))


def _series(
    session: Session, model: str, metric: str, window: str, since: datetime
) -> dict[str, tuple[list[datetime], list[float]]]:
    points = performance_metric_series(
        session, metric_name=metric, model_name=model, window=window, since=since, days=None
    )
    return _by_version(points)


def performance_charts(
    session: Session, model: str, metric: str, window: str, span: TimeRange
) -> dict[str, charts.Figure]:
    """The realised chart, and the estimated-against-realised one when estimates exist."""
    since, axis = span.since, (span.since, span.until)
    realised = _series(session, model, metric, window, since)
    figures: dict[str, charts.Figure] = {
        "realised": charts.figure(
            [charts.line(f"{model} {v}", xs, ys) for v, (xs, ys) in realised.items()],
            y_title=metric,
            span=axis,
        )
    }
    estimated = _series(session, model, f"estimated_{metric}", window, since)
    traces = []
    for index, (version, (xs, ys)) in enumerate(estimated.items()):
        colour = charts.color(index)
        traces.append(charts.line(f"{version} estimated", xs, ys, dash="dot", colour=colour))
        if version in realised:
            traces.append(charts.line(f"{version} realised", *realised[version], colour=colour))
    figures["estimated"] = charts.figure(traces, y_title=metric, span=axis)
    labelled = _series(session, model, "count", window, since)
    figures["labelled"] = charts.figure(
        [charts.line(f"{model} {v}", xs, ys) for v, (xs, ys) in labelled.items()],
        y_title="labelled predictions",
        span=axis,
    )
    return {key: f if f["data"] else {"empty": NO_METRICS} for key, f in figures.items()}


def _pick_metric(names: list[str], wanted: str | None) -> str | None:
    if wanted in names:
        return wanted
    preferred = [name for name in PREFERRED if name in names] + names
    return preferred[0] if preferred else None


@router.get("/performance", response_class=HTMLResponse, include_in_schema=False)
def performance_page(
    request: Request,
    session: SessionDep,
    model: Text = None,
    metric: Text = None,
    window: Annotated[Literal["hour", "day"], Query()] = "hour",
    range_name: Annotated[str | None, Query(alias="range")] = "7d",
) -> HTMLResponse:
    """One model's performance over time, per version."""
    models = models_with_metrics(session)
    chosen = model if model in models else (models[0] if models else None)
    names = realised_metric_names(session, chosen) if chosen else []
    picked = _pick_metric(names, metric)
    span = parse_range(range_name or "7d")
    figures = performance_charts(session, chosen, picked, window, span) if chosen and picked else {}
    context = {
        "models": models,
        "model": chosen,
        "metrics": names,
        "metric": picked,
        "window": window,
        "span": span,
        "ranges": HOURLY_RANGES,
        "charts": figures,
        "empty_message": NO_METRICS,
    }
    return render(request, "performance.html", context, page="performance")
