"""What the overview shows of monitoring: the open alerts and the actions awaiting approval."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from predledger.actions.models import Action
from predledger.actions.queries import list_actions
from predledger.actions.schemas import ActionPublic
from predledger.alerts.models import Alert
from predledger.alerts.queries import list_alerts
from predledger.alerts.schemas import OPEN_STATUSES, AlertPublic


def open_alerts(
    session: Session, *, model: str | None = None, limit: int = 10
) -> tuple[list[AlertPublic], int]:
    """The newest unresolved alerts and how many there are in all."""
    query = select(func.count()).select_from(Alert).where(Alert.status.in_(OPEN_STATUSES))
    if model is not None:
        query = query.where(Alert.model_name == model)
    total = int(session.execute(query).scalar_one())
    return list_alerts(session, status="open", model=model, limit=limit), total


def pending_approvals(
    session: Session, *, model: str | None = None, limit: int = 10
) -> tuple[list[ActionPublic], int]:
    """The newest actions waiting for a reviewer and how many there are in all."""
    query = select(func.count()).select_from(Action).where(Action.status == "pending")
    if model is not None:
        query = query.where(Action.model_name == model)
    total = int(session.execute(query).scalar_one())
    return list_actions(session, status="pending", model=model, limit=limit), total
