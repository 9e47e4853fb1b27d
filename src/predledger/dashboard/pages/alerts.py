"""Alerts (acknowledge, resolve) and the rules that raise them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from predledger.alerts import operations
from predledger.alerts.queries import list_alerts, list_rules
from predledger.api.deps import LedgerDep, SessionDep
from predledger.dashboard.forms import run_form, safe_back
from predledger.dashboard.rendering import query_string, render

router = APIRouter(prefix="/dashboard")
FormText = Annotated[str | None, Form()]
StatusFilter = Literal["open", "active", "acknowledged", "resolved", "all"]
STATUS_FILTERS: tuple[str, ...] = ("open", "active", "acknowledged", "resolved", "all")
LIMIT = 100


@router.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
def alerts_page(
    request: Request,
    session: SessionDep,
    status: Annotated[StatusFilter, Query()] = "open",
    model: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    """Alerts, newest first (open ones by default), and the rules."""
    alerts = list_alerts(
        session, status=None if status == "all" else status, model=model or None, limit=LIMIT
    )
    context = {
        "alerts": alerts,
        "rules": list_rules(session),
        "status": status,
        "statuses": STATUS_FILTERS,
        "model": model or None,
        "back": "/dashboard/alerts" + query_string({"status": status, "model": model}),
    }
    return render(request, "alerts.html", context, page="alerts")


@router.post("/alerts/{alert_id}/acknowledge", include_in_schema=False)
def acknowledge(
    request: Request,
    ledger: LedgerDep,
    alert_id: int,
    csrf_token: FormText = None,
    actor: FormText = None,
    notes: FormText = None,
    back: FormText = None,
) -> Response:
    """Acknowledge an active alert: someone is on it."""

    def work(who: str) -> str:
        operations.acknowledge_alert(ledger.store, alert_id, actor=who, notes=notes or None)
        return f"alert #{alert_id} acknowledged by {who}"

    return run_form(request, csrf=csrf_token, actor=actor, back=safe_back(back, "/alerts"),
                    page="alerts", work=work)  # fmt: skip


@router.post("/alerts/{alert_id}/resolve", include_in_schema=False)
def resolve(
    request: Request,
    ledger: LedgerDep,
    alert_id: int,
    csrf_token: FormText = None,
    actor: FormText = None,
    notes: FormText = None,
    back: FormText = None,
) -> Response:
    """Resolve an open alert."""

    def work(who: str) -> str:
        operations.resolve_alert(ledger.store, alert_id, actor=who, notes=notes or None)
        return f"alert #{alert_id} resolved by {who}"

    return run_form(request, csrf=csrf_token, actor=actor, back=safe_back(back, "/alerts"),
                    page="alerts", work=work)  # fmt: skip
