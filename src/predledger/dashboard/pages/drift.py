"""Drift: the latest report of each model, with a chart per feature, and its history.

Each feature's chart sets the reference's share per bin against the current window's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from predledger.api.deps import SessionDep
from predledger.dashboard import charts
from predledger.dashboard.rendering import render, render_problem
from predledger.drift.queries import get_drift_report, list_drift_reports
from predledger.drift.schemas import DriftReportPublic, FeatureDriftPublic
from predledger.errors import NotFoundError

router = APIRouter(prefix="/dashboard")
HISTORY = 50


def _shares(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [count / total if total else 0.0 for count in counts]


def feature_chart(feature: FeatureDriftPublic) -> charts.Figure:
    """Reference and current shares per bin: the sizes differ, so shares compare."""
    if feature.chart is None or not feature.chart.labels:
        return {"empty": "no counts stored for this feature"}
    chart = feature.chart
    traces = [
        charts.bars("reference", chart.labels, _shares(chart.reference), colour="#94a3b8"),
        charts.bars("current", chart.labels, _shares(chart.current),
                    colour="#dc2626" if feature.drifted else "#2563eb"),
    ]  # fmt: skip
    return charts.figure(
        traces,
        y_title="share",
        percent=True,
        barmode="group",
        time_axis=False,
        extra_layout={
            "height": 240,
            "bargap": 0.15,
            "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
            "margin": {"l": 48, "r": 12, "t": 24, "b": 40},
        },
    )


def history_chart(reports: list[DriftReportPublic]) -> charts.Figure:
    """Each report's drift score (share of drifted features) at the end of its window."""
    ordered = sorted(reports, key=lambda report: report.window_end)
    trace = charts.line(
        "drift score", [r.window_end for r in ordered], [r.drift_score for r in ordered]
    )
    trace["marker"] = {
        "size": 9,
        "color": ["#dc2626" if r.drift_detected else "#16a34a" for r in ordered],
    }
    return charts.figure([trace], y_title="share of features drifted", percent=True)


def _chosen_report(
    session: Session, latest: list[DriftReportPublic], model: str | None, report_id: int | None
) -> DriftReportPublic | None:
    if report_id is not None:
        return get_drift_report(session, report_id)
    for report in latest:
        if model is None or report.model_name == model:
            return get_drift_report(session, report.id)
    return None


@router.get("/drift", response_class=HTMLResponse, include_in_schema=False)
def drift_page(
    request: Request,
    session: SessionDep,
    model: Annotated[str | None, Query()] = None,
    report: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """Latest reports, one report's features in detail, and its model's history."""
    latest = list_drift_reports(session, latest=True, limit=200)
    try:
        shown = _chosen_report(session, latest, model or None, report)
    except NotFoundError as exc:
        return render_problem(
            request,
            title="Drift report not found",
            message=str(exc),
            back=("/dashboard/drift", "drift"),
            page="drift",
            status_code=404,
        )
    history = list_drift_reports(session, model=shown.model_name, limit=HISTORY) if shown else []
    figures: dict[str, charts.Figure] = {}
    if shown is not None:
        figures["history"] = history_chart(history)
        for index, feature in enumerate(shown.features):
            figures[f"feature-{index}"] = feature_chart(feature)
    context: dict[str, Any] = {
        "latest": latest,
        "shown": shown,
        "history": history,
        "charts": figures,
    }
    return render(request, "drift.html", context, page="drift")
