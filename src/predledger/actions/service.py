"""Writes of remediation actions: propose, approve, reject, execute; every step audited.

Every function takes the caller's session and never commits; each starts by taking the
``actions`` write lock (``predledger.monitor.locks``), so two reviewers acting on one action
at once are served one after the other and the second sees what the first did.

Who acts is always a parameter (``actor`` / ``reviewer``): the adapters pass the name the
request or ``--as`` gave, and an authentication layer can pass the signed-in user.
"""

from __future__ import annotations

import traceback
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from predledger.actions.handlers import DEFAULT_HANDLERS, ActionContext, ActionHandlers
from predledger.actions.models import Action, ActionEvent
from predledger.actions.queries import action_row, to_public
from predledger.actions.schemas import TRANSITIONS, ActionCreate, ActionPublic
from predledger.alerts.models import Alert
from predledger.errors import ConflictError, InvalidRecordError, NotFoundError
from predledger.monitor.locks import lock_for_write

LOCK = "actions"


def propose_action(
    session: Session, data: ActionCreate, *, actor: str, now: datetime | None = None
) -> ActionPublic:
    """Propose an action; it starts ``pending``.

    Raises:
        NotFoundError: ``alert_id`` names no alert.
        InvalidRecordError: no one proposes it.
    """
    moment = now or datetime.now(UTC)
    lock_for_write(session, LOCK, now=moment)
    if not actor.strip():
        raise InvalidRecordError("actor", "say who proposes the action")
    if data.alert_id is not None and session.get(Alert, data.alert_id) is None:
        raise NotFoundError(
            f"no alert has id {data.alert_id}: list them with `predledger alerts list`"
        )
    requires = data.requires_approval
    row = Action(
        action_type=data.action_type,
        description=data.description or f"{data.action_type} {data.model or ''}".strip(),
        model_name=data.model or data.parameters.get("model"),
        risk_level=data.risk_level,
        requires_approval=data.risk_level != "low" if requires is None else requires,
        alert_id=data.alert_id,
        issue_ref=data.issue_ref,
        parameters=dict(data.parameters),
        status="pending",
        proposed_by=actor,
        proposed_at=moment,
        updated_at=moment,
    )
    session.add(row)
    session.flush()
    _audit(session, row, actor, None, "pending", data.description or None, moment)
    return to_public(row)


def approve_action(
    session: Session,
    action_id: int,
    *,
    reviewer: str,
    comment: str | None = None,
    now: datetime | None = None,
) -> ActionPublic:
    """Approve a pending action, as someone other than its proposer.

    Raises:
        NotFoundError: no such action.
        ConflictError: the action is not pending, or the reviewer proposed it.
    """
    moment = now or datetime.now(UTC)
    lock_for_write(session, LOCK, now=moment)
    row = action_row(session, action_id)
    _require(row, "approved")
    if row.requires_approval and reviewer == row.proposed_by:
        raise ConflictError(
            f"action #{row.id} was proposed by {reviewer}, who cannot approve it too: a "
            f"{row.risk_level}-risk action needs a second person; ask another reviewer"
        )
    return _review(session, row, "approved", reviewer, comment, moment)


def reject_action(
    session: Session,
    action_id: int,
    *,
    reviewer: str,
    comment: str | None = None,
    now: datetime | None = None,
) -> ActionPublic:
    """Reject a pending action (its proposer may withdraw it this way).

    Raises:
        NotFoundError: no such action.
        ConflictError: the action is not pending.
    """
    moment = now or datetime.now(UTC)
    lock_for_write(session, LOCK, now=moment)
    row = action_row(session, action_id)
    _require(row, "rejected")
    return _review(session, row, "rejected", reviewer, comment, moment)


def execute_action(
    session: Session,
    action_id: int,
    *,
    actor: str,
    comment: str | None = None,
    handlers: ActionHandlers | None = None,
    allow_private_webhooks: bool = False,
    now: datetime | None = None,
) -> ActionPublic:
    """Run an approved action (or a pending one that needs no approval) through its handler.

    The handler runs in a savepoint of the caller's transaction: if it raises, its database
    changes are undone and the action is marked ``failed`` with the error; otherwise it is
    ``executed`` with the handler's result. Either way the action and its audit row commit
    with the caller's transaction.

    Raises:
        NotFoundError: no such action.
        ConflictError: the action is not approved (or needs approval first).
        ConfigurationError: no handler executes this type of action in this process.
    """
    moment = now or datetime.now(UTC)
    lock_for_write(session, LOCK, now=moment)
    row = action_row(session, action_id)
    if not (row.status == "pending" and not row.requires_approval):
        _require(row, "executed")
    handler = (handlers or DEFAULT_HANDLERS).get(row.action_type)
    context = ActionContext(session, to_public(row), actor, allow_private_webhooks)
    try:
        with session.begin_nested():
            result = dict(handler(context) or {})
    except Exception as exc:  # any handler failure is the action's outcome, recorded
        row.error = f"{type(exc).__name__}: {exc}"
        details: dict[str, Any] = {"error": row.error, "trace": _last_frames(exc)}
        _finish(session, row, "failed", actor, comment, moment, details)
        return to_public(row)
    row.execution_result = result
    _finish(session, row, "executed", actor, comment, moment, result)
    return to_public(row)


def _last_frames(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc, limit=-3))[-2000:]


def _finish(
    session: Session,
    row: Action,
    status: str,
    actor: str,
    comment: str | None,
    moment: datetime,
    details: dict[str, Any],
) -> None:
    row.executed_by = actor
    row.executed_at = moment
    _move(session, row, status, actor, comment, moment, details)


def _require(row: Action, wanted: str) -> None:
    """Refuse a transition the action's status does not allow, naming the allowed ones."""
    if wanted in TRANSITIONS[row.status]:
        return
    allowed = TRANSITIONS[row.status]
    who = _last_actor(row)
    where = f"action #{row.id} is {row.status}{f' (by {who})' if who else ''}"
    if row.status == "pending" and wanted == "executed":
        raise ConflictError(
            f"{where} and needs approval by a reviewer other than {row.proposed_by} before it "
            f"runs: approve it first (`predledger actions approve {row.id} --as NAME`)"
        )
    if allowed:
        raise ConflictError(
            f"{where}, so it cannot be {wanted}: from {row.status} it can only be "
            f"{' or '.join(allowed)}"
        )
    raise ConflictError(
        f"{where}, so it cannot be {wanted}: {row.status} is final; propose a new action"
    )


def _last_actor(row: Action) -> str | None:
    if row.status in ("executed", "failed"):
        return row.executed_by
    if row.status in ("approved", "rejected"):
        return row.reviewed_by
    return None


def _review(
    session: Session,
    row: Action,
    status: str,
    reviewer: str,
    comment: str | None,
    moment: datetime,
) -> ActionPublic:
    """Record who reviewed the action and move it to ``status`` (approved or rejected)."""
    if not reviewer.strip():
        raise InvalidRecordError("reviewer", "say who reviews the action")
    row.reviewed_by = reviewer
    row.reviewed_at = moment
    row.review_comment = comment
    _move(session, row, status, reviewer, comment, moment)
    return to_public(row)


def _move(
    session: Session,
    row: Action,
    status: str,
    actor: str,
    comment: str | None,
    moment: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    previous = row.status
    row.status = status
    row.updated_at = moment
    session.flush()
    _audit(session, row, actor, previous, status, comment, moment, details)


def _audit(
    session: Session,
    row: Action,
    actor: str,
    from_status: str | None,
    to_status: str,
    comment: str | None,
    moment: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        ActionEvent(
            action_id=row.id,
            actor=actor,
            from_status=from_status,
            to_status=to_status,
            comment=comment,
            details=details,
            at=moment,
        )
    )
    session.flush()
