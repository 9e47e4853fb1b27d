"""``/v1/drift``: drift reports (run one now, list them, read one, its HTML page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse

from predledger.api.deps import LedgerDep, SessionDep
from predledger.auth.dependencies import PrincipalDep, acting_as
from predledger.drift import queries
from predledger.drift.operations import run_drift_report
from predledger.drift.report_html import render_drift_report_html
from predledger.drift.schemas import DriftReportCreate, DriftReportPublic

router = APIRouter(prefix="/v1/drift", tags=["drift"])

ReportId = Annotated[int, Path(ge=1, description="The report's id.")]
API_ACTOR = "api"


@router.post(
    "/reports",
    status_code=201,
    summary="Compute and store a drift report",
    responses={404: {"description": "No such model or version, or it has no reference profile."}},
)
def create_report(
    ledger: LedgerDep, principal: PrincipalDep, body: DriftReportCreate
) -> DriftReportPublic:
    """Test a model version's window (default: the active version, the last 24 hours).

    ``mode: histogram`` reads the hourly histograms (the same cost for any window);
    ``mode: exact`` reads the window's raw rows.
    """
    actor = acting_as(principal, body.actor) or API_ACTOR
    request = body.model_copy(update={"actor": actor})
    return run_drift_report(ledger.store, request)


@router.get("/reports", summary="Stored drift reports, newest first")
def read_reports(
    session: SessionDep,
    model: Annotated[str | None, Query(description="Only this model's reports.")] = None,
    version: Annotated[str | None, Query(description="Only this version's reports.")] = None,
    latest: Annotated[bool, Query(description="Only the newest report per model.")] = False,
    drifted: Annotated[bool | None, Query(description="Only reports that found drift.")] = None,
    charts: Annotated[bool, Query(description="Include the counts per bin.")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DriftReportPublic]:
    """Reports with their per-feature verdicts."""
    return queries.list_drift_reports(
        session, model=model, version=version, latest=latest, drifted=drifted,
        charts=charts, limit=limit,
    )  # fmt: skip


@router.get(
    "/reports/{report_id}",
    summary="One drift report",
    responses={404: {"description": "No such report."}},
)
def read_report(session: SessionDep, report_id: ReportId) -> DriftReportPublic:
    """The report, with each feature's reference and current counts per bin."""
    return queries.get_drift_report(session, report_id)


@router.get(
    "/reports/{report_id}/html",
    summary="One drift report as a page with a chart per feature",
    response_class=HTMLResponse,
    responses={404: {"description": "No such report."}},
)
def read_report_html(session: SessionDep, report_id: ReportId) -> HTMLResponse:
    """A standalone HTML page (inline SVG charts: nothing is fetched from the network)."""
    return HTMLResponse(render_drift_report_html(queries.get_drift_report(session, report_id)))
