"""Actions: proposed remediations, approved or rejected by a reviewer, then executed."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from predledger.actions import operations
from predledger.actions.queries import list_action_events, list_actions
from predledger.api.deps import LedgerDep, SessionDep
from predledger.auth.dependencies import require_role
from predledger.auth.roles import Role
from predledger.dashboard.forms import run_form, safe_back
from predledger.dashboard.rendering import query_string, render

router = APIRouter(prefix="/dashboard")
FormText = Annotated[str | None, Form()]
StatusFilter = Literal["pending", "approved", "rejected", "executed", "failed", "all"]
STATUS_FILTERS: tuple[str, ...] = ("all", "pending", "approved", "executed", "rejected", "failed")
LIMIT = 50


@router.get("/actions", response_class=HTMLResponse, include_in_schema=False)
def actions_page(
    request: Request,
    session: SessionDep,
    status: Annotated[StatusFilter, Query()] = "all",
    model: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    """Actions, newest first, each with its audit trail."""
    actions = list_actions(
        session, status=None if status == "all" else status, model=model or None, limit=LIMIT
    )
    context = {
        "actions": actions,
        "events": {action.id: list_action_events(session, action.id) for action in actions},
        "status": status,
        "statuses": STATUS_FILTERS,
        "back": "/dashboard/actions" + query_string({"status": status, "model": model}),
    }
    return render(request, "actions.html", context, page="actions")


@router.post("/actions/{action_id}/{decision}", include_in_schema=False)
def decide(
    request: Request,
    ledger: LedgerDep,
    action_id: int,
    decision: Literal["approve", "reject", "execute"],
    csrf_token: FormText = None,
    actor: FormText = None,
    comment: FormText = None,
    back: FormText = None,
) -> Response:
    """Approve or reject a pending action, or execute an approved one (its outcome is kept)."""
    note = comment or None

    def work(who: str) -> str:
        if decision == "approve":
            operations.approve_action(ledger.store, action_id, reviewer=who, comment=note)
            return f"action #{action_id} approved by {who}: it can be executed now"
        if decision == "reject":
            operations.reject_action(ledger.store, action_id, reviewer=who, comment=note)
            return f"action #{action_id} rejected by {who}"
        require_role(request, Role.admin)  # as POST /v1/actions/{id}/execute: admins only
        done = operations.execute_action(ledger.store, action_id, actor=who, comment=note)
        outcome = "executed" if done.status == "executed" else f"failed: {done.error}"
        return f"action #{action_id} {outcome}"

    return run_form(request, csrf=csrf_token, actor=actor, back=safe_back(back, "/actions"),
                    page="actions", work=work)  # fmt: skip
