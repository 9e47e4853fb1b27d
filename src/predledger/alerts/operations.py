"""Alerting in one call each: every function runs its own transaction.

Example:
    from predledger import Store
    from predledger.alerts import operations as alerts

    store = Store("sqlite:///ledger.db")
    alerts.create_rule(store, name="churn drift", kind="drift", model="churn",
                       action_policy={"type": "rollback", "risk_level": "high"})
    alerts.evaluate_and_notify(store)        # what the monitor does every minute
    alerts.acknowledge_alert(store, 1, actor="alice", notes="looking")
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from predledger.alerts import service
from predledger.alerts.evaluation import PendingNotification, evaluate_alert_rules
from predledger.alerts.schemas import (
    AlertPublic,
    AlertRuleCreate,
    AlertRulePublic,
    AlertRuleUpdate,
    EvaluationResult,
)
from predledger.alerts.webhooks import DEFAULT_TIMEOUT, allow_private_from_env, post_webhook
from predledger.errors import InvalidRecordError
from predledger.registry.retry import run_in_transaction
from predledger.store.engine import Store


def _validated(model: type[Any], what: str, fields: dict[str, Any]) -> Any:
    try:
        return model(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or what
        raise InvalidRecordError(field, first["msg"].removeprefix("Value error, ")) from None


def rule_request(**fields: Any) -> AlertRuleCreate:
    """Build an ``AlertRuleCreate``, naming the first bad field in an ``InvalidRecordError``."""
    result: AlertRuleCreate = _validated(AlertRuleCreate, "rule", fields)
    return result


def create_rule(
    store: Store,
    data: AlertRuleCreate | None = None,
    *,
    allow_private_webhooks: bool | None = None,
    **fields: Any,
) -> AlertRulePublic:
    """Create a rule (give an ``AlertRuleCreate`` or its fields as keyword arguments)."""
    rule = data or rule_request(**fields)
    allow = allow_private_from_env() if allow_private_webhooks is None else allow_private_webhooks
    return run_in_transaction(
        store,
        lambda session: service.create_rule(session, rule, allow_private_webhooks=allow),
        what=f"create the alert rule {rule.name!r}",
    )


def update_rule(
    store: Store, rule: int | str, *, allow_private_webhooks: bool | None = None, **changes: Any
) -> AlertRulePublic:
    """Change a rule's settings (``enabled=False`` turns it off)."""
    update: AlertRuleUpdate = _validated(AlertRuleUpdate, "rule", changes)
    allow = allow_private_from_env() if allow_private_webhooks is None else allow_private_webhooks
    return run_in_transaction(
        store,
        lambda session: service.update_rule(session, rule, update, allow_private_webhooks=allow),
        what=f"change the alert rule {rule!r}",
    )


def delete_rule(store: Store, rule: int | str) -> AlertRulePublic:
    """Delete a rule; its alerts stay."""
    return run_in_transaction(
        store, lambda session: service.delete_rule(session, rule), what=f"delete rule {rule!r}"
    )


def acknowledge_alert(
    store: Store, alert_id: int, *, actor: str, notes: str | None = None
) -> AlertPublic:
    """Acknowledge an active alert as ``actor``."""
    return run_in_transaction(
        store,
        lambda session: service.acknowledge_alert(session, alert_id, actor=actor, notes=notes),
        what=f"acknowledge alert #{alert_id}",
    )


def resolve_alert(
    store: Store, alert_id: int, *, actor: str, notes: str | None = None
) -> AlertPublic:
    """Resolve an open alert as ``actor``."""
    return run_in_transaction(
        store,
        lambda session: service.resolve_alert(session, alert_id, actor=actor, notes=notes),
        what=f"resolve alert #{alert_id}",
    )


def evaluate_and_notify(
    store: Store,
    *,
    now: datetime | None = None,
    rules: Sequence[int | str] | None = None,
    allow_private_webhooks: bool | None = None,
    webhook_timeout: float = DEFAULT_TIMEOUT,
) -> EvaluationResult:
    """Evaluate the rules, commit, then send the webhooks and record how each went."""
    evaluation = run_in_transaction(
        store,
        lambda session: evaluate_alert_rules(session, now=now, rules=rules),
        what="evaluate the alert rules",
    )
    allow = allow_private_from_env() if allow_private_webhooks is None else allow_private_webhooks
    deliver_notifications(
        store, evaluation.notifications, allow_private_webhooks=allow, timeout=webhook_timeout
    )
    return evaluation.result


def deliver_notifications(
    store: Store,
    notifications: Sequence[PendingNotification],
    *,
    allow_private_webhooks: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> None:
    """Send each webhook, outside any transaction, and record its outcome on its alert."""
    for note in notifications:
        outcome = post_webhook(
            note.url, note.payload, allow_private=allow_private_webhooks, timeout=timeout
        )
        record = {"event": note.payload.get("event"), **outcome.as_dict()}
        _record(store, note.alert_id, record)


def _record(store: Store, alert_id: int, record: dict[str, Any]) -> None:
    def work(session: Session) -> AlertPublic | None:
        return service.record_notification(session, alert_id, record)

    run_in_transaction(store, work, what=f"record the notification of alert #{alert_id}")
