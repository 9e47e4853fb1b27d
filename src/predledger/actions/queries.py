"""Reads of actions and their audit trail; each returns schemas, never live ORM rows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from predledger.actions.models import Action, ActionEvent
from predledger.actions.schemas import ActionEventPublic, ActionPublic
from predledger.errors import NotFoundError


def to_public(row: Action) -> ActionPublic:
    """Convert an action row to its public shape."""
    return ActionPublic(
        id=row.id,
        action_type=row.action_type,
        description=row.description,
        model=row.model_name,
        risk_level=row.risk_level,
        requires_approval=row.requires_approval,
        alert_id=row.alert_id,
        issue_ref=row.issue_ref,
        parameters=dict(row.parameters or {}),
        status=row.status,
        proposed_by=row.proposed_by,
        proposed_at=row.proposed_at,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        review_comment=row.review_comment,
        executed_by=row.executed_by,
        executed_at=row.executed_at,
        execution_result=row.execution_result,
        error=row.error,
        updated_at=row.updated_at,
    )


def event_to_public(row: ActionEvent) -> ActionEventPublic:
    """Convert an audit row to its public shape."""
    return ActionEventPublic(
        id=row.id,
        action_id=row.action_id,
        actor=row.actor,
        from_status=row.from_status,
        to_status=row.to_status,
        comment=row.comment,
        details=row.details,
        at=row.at,
    )


def action_row(session: Session, action_id: int) -> Action:
    """The row of an action; ``NotFoundError`` says how to list them."""
    row = session.get(Action, action_id)
    if row is None:
        raise NotFoundError(
            f"no action has id {action_id}: list them with `predledger actions list`"
        )
    return row


def get_action(session: Session, action_id: int) -> ActionPublic:
    """Return one action.

    Raises:
        NotFoundError: no action has this id.
    """
    return to_public(action_row(session, action_id))


def list_actions(
    session: Session,
    *,
    status: str | None = None,
    model: str | None = None,
    alert_id: int | None = None,
    action_type: str | None = None,
    limit: int = 100,
) -> list[ActionPublic]:
    """Return actions, newest first, filtered by status, model, alert or type."""
    query = select(Action)
    if status is not None:
        query = query.where(Action.status == status)
    if model is not None:
        query = query.where(Action.model_name == model)
    if alert_id is not None:
        query = query.where(Action.alert_id == alert_id)
    if action_type is not None:
        query = query.where(Action.action_type == action_type)
    query = query.order_by(Action.proposed_at.desc(), Action.id.desc()).limit(limit)
    return [to_public(row) for row in session.scalars(query)]


def list_action_events(session: Session, action_id: int) -> list[ActionEventPublic]:
    """Return an action's audit trail, oldest first.

    Raises:
        NotFoundError: no action has this id.
    """
    action_row(session, action_id)
    rows = session.scalars(
        select(ActionEvent).where(ActionEvent.action_id == action_id).order_by(ActionEvent.id)
    )
    return [event_to_public(row) for row in rows]
