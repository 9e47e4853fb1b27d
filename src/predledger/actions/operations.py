"""Actions in one call each: every function runs its own transaction.

Example:
    from predledger import Store
    from predledger.actions import operations as actions

    store = Store("sqlite:///ledger.db")
    proposed = actions.propose_action(store, action_type="rollback", model="churn",
                                      risk_level="high", actor="alice")
    actions.approve_action(store, proposed.id, reviewer="bob", comment="drift confirmed")
    done = actions.execute_action(store, proposed.id, actor="bob")
    print(done.status, done.execution_result)
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from predledger.actions import service
from predledger.actions.handlers import ActionHandlers
from predledger.actions.schemas import ActionCreate, ActionPublic
from predledger.errors import InvalidRecordError
from predledger.registry.retry import run_in_transaction
from predledger.store.engine import Store


def action_request(**fields: Any) -> ActionCreate:
    """Build an ``ActionCreate``, naming the first bad field in an ``InvalidRecordError``."""
    try:
        return ActionCreate(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "action"
        raise InvalidRecordError(field, first["msg"]) from None


def propose_action(store: Store, *, actor: str, **fields: Any) -> ActionPublic:
    """Propose an action (the fields of ``ActionCreate``); it starts ``pending``."""
    data = action_request(**fields)
    return run_in_transaction(
        store,
        lambda session: service.propose_action(session, data, actor=actor),
        what=f"propose a {data.action_type} action",
    )


def approve_action(
    store: Store, action_id: int, *, reviewer: str, comment: str | None = None
) -> ActionPublic:
    """Approve a pending action as ``reviewer`` (not its proposer)."""
    return run_in_transaction(
        store,
        lambda session: service.approve_action(
            session, action_id, reviewer=reviewer, comment=comment
        ),
        what=f"approve action #{action_id}",
    )


def reject_action(
    store: Store, action_id: int, *, reviewer: str, comment: str | None = None
) -> ActionPublic:
    """Reject a pending action as ``reviewer``."""
    return run_in_transaction(
        store,
        lambda session: service.reject_action(
            session, action_id, reviewer=reviewer, comment=comment
        ),
        what=f"reject action #{action_id}",
    )


def execute_action(
    store: Store,
    action_id: int,
    *,
    actor: str,
    comment: str | None = None,
    handlers: ActionHandlers | None = None,
    allow_private_webhooks: bool = False,
) -> ActionPublic:
    """Execute an approved action through its handler; the outcome is stored.

    Not retried: a handler's outside effects (a webhook) must not run twice.
    """
    with store.transaction() as session:
        return service.execute_action(
            session,
            action_id,
            actor=actor,
            comment=comment,
            handlers=handlers,
            allow_private_webhooks=allow_private_webhooks,
        )
