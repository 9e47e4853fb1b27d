"""``/v1/actions``: remediation actions: propose, approve, reject, execute, and the audit trail.

Who acts is the authenticated caller (with authentication off, the request's ``reviewer``
or ``actor`` field): nobody approves their own proposal, nor in another's name.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from predledger.actions import operations, queries
from predledger.actions.schemas import (
    ActionCreate,
    ActionDecision,
    ActionEventPublic,
    ActionPublic,
    ActionStatus,
)
from predledger.alerts.webhooks import allow_private_from_env
from predledger.api.deps import LedgerDep, SessionDep
from predledger.auth.dependencies import PrincipalDep, acting_as
from predledger.auth.schemas import Principal
from predledger.errors import InvalidRecordError

router = APIRouter(prefix="/v1/actions", tags=["actions"])

ActionId = Annotated[int, Path(ge=1, description="The action's id.")]
API_ACTOR = "api"
_REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"description": "Not allowed from the action's status; the answer says why."}
}


def _who(decision: ActionDecision, principal: Principal) -> str:
    who = acting_as(principal, decision.who, field="reviewer")
    if who is None:
        raise InvalidRecordError("reviewer", "say who decides: send reviewer (or actor)")
    return who


@router.get("", summary="Actions, newest first")
def read_actions(
    session: SessionDep,
    status: Annotated[ActionStatus | None, Query(description="e.g. pending.")] = None,
    model: Annotated[str | None, Query(description="Only this model's actions.")] = None,
    alert_id: Annotated[int | None, Query(description="Only the actions answering it.")] = None,
    action_type: Annotated[str | None, Query(alias="type", description="e.g. rollback.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ActionPublic]:
    """Actions with their status, reviewer, comment and result."""
    return queries.list_actions(
        session, status=status, model=model, alert_id=alert_id, action_type=action_type,
        limit=limit,
    )  # fmt: skip


@router.post("", status_code=201, summary="Propose an action")
def propose(ledger: LedgerDep, principal: PrincipalDep, body: ActionCreate) -> ActionPublic:
    """The action starts pending; risky ones wait for approval by someone else."""
    actor = acting_as(principal, body.actor) or API_ACTOR
    return operations.propose_action(
        ledger.store, actor=actor, **body.model_dump(exclude={"actor"})
    )


@router.get(
    "/{action_id}", summary="One action", responses={404: {"description": "No such action."}}
)
def read_action(session: SessionDep, action_id: ActionId) -> ActionPublic:
    """The action."""
    return queries.get_action(session, action_id)


@router.get("/{action_id}/events", summary="An action's audit trail")
def read_events(session: SessionDep, action_id: ActionId) -> list[ActionEventPublic]:
    """Every step: who, when, from which status to which, and their comment."""
    return queries.list_action_events(session, action_id)


@router.post("/{action_id}/approve", summary="Approve a pending action", responses=_REFUSED)
def approve(
    ledger: LedgerDep, principal: PrincipalDep, action_id: ActionId, body: ActionDecision
) -> ActionPublic:
    """``pending -> approved``; the proposer cannot approve their own action."""
    return operations.approve_action(
        ledger.store, action_id, reviewer=_who(body, principal), comment=body.comment
    )


@router.post("/{action_id}/reject", summary="Reject a pending action", responses=_REFUSED)
def reject(
    ledger: LedgerDep, principal: PrincipalDep, action_id: ActionId, body: ActionDecision
) -> ActionPublic:
    """``pending -> rejected``."""
    return operations.reject_action(
        ledger.store, action_id, reviewer=_who(body, principal), comment=body.comment
    )


@router.post("/{action_id}/execute", summary="Execute an approved action", responses=_REFUSED)
def execute(
    ledger: LedgerDep, principal: PrincipalDep, action_id: ActionId, body: ActionDecision
) -> ActionPublic:
    """``approved -> executed | failed``, with the handler's result or error stored."""
    return operations.execute_action(
        ledger.store, action_id, actor=_who(body, principal), comment=body.comment,
        allow_private_webhooks=allow_private_from_env(),
    )  # fmt: skip
