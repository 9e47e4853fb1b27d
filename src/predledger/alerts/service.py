"""Writes of alerting: rules, and acknowledging or resolving alerts by hand.

Every function takes the caller's session and never commits. Each starts by taking the
``alerts`` write lock (``predledger.monitor.locks``), so on SQLite no read comes before the
first write and on PostgreSQL concurrent changes queue behind each other.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from predledger.alerts.models import Alert, AlertRule
from predledger.alerts.queries import alert_row, alert_to_public, rule_row, rule_to_public
from predledger.alerts.schemas import (
    AlertPublic,
    AlertRuleCreate,
    AlertRulePublic,
    AlertRuleUpdate,
)
from predledger.alerts.webhooks import check_webhook_url
from predledger.errors import ConflictError
from predledger.monitor.locks import lock_for_write

LOCK = "alerts"


def create_rule(
    session: Session,
    data: AlertRuleCreate,
    *,
    actor: str | None = None,
    allow_private_webhooks: bool = False,
    now: datetime | None = None,
) -> AlertRulePublic:
    """Create an alert rule.

    Raises:
        ConflictError: a rule of that name exists.
        InvalidRecordError: the webhook URL is malformed or reaches an internal address.
    """
    moment = now or datetime.now(UTC)
    lock_for_write(session, LOCK, now=moment)
    if data.webhook_url:
        check_webhook_url(data.webhook_url, allow_private=allow_private_webhooks)
    taken = session.scalar(select(AlertRule.id).where(AlertRule.name == data.name))
    if taken is not None:
        raise ConflictError(
            f"an alert rule named {data.name!r} exists (id {taken}): choose another name, or "
            "change that rule"
        )
    row = AlertRule(
        name=data.name,
        kind=data.kind,
        model_name=data.model,
        metric=data.metric,
        condition=data.condition,
        threshold=data.threshold,
        window_minutes=data.window_minutes,
        min_count=data.min_count,
        severity=data.severity,
        enabled=data.enabled,
        auto_resolve=data.auto_resolve,
        webhook_url=data.webhook_url,
        action_policy=None if data.action_policy is None else data.action_policy.model_dump(),
        description=data.description,
        created_by=actor or data.actor,
        created_at=moment,
        updated_at=moment,
    )
    session.add(row)
    session.flush()
    return rule_to_public(row)


def update_rule(
    session: Session,
    rule: int | str,
    changes: AlertRuleUpdate,
    *,
    allow_private_webhooks: bool = False,
    now: datetime | None = None,
) -> AlertRulePublic:
    """Change a rule's settings (enable or disable it, move its threshold...).

    Raises:
        NotFoundError: no such rule.
        InvalidRecordError: the new webhook URL is refused.
    """
    moment = now or datetime.now(UTC)
    lock_for_write(session, LOCK, now=moment)
    row = rule_row(session, rule)
    fields = changes.model_dump(exclude_unset=True)
    if fields.get("webhook_url"):
        check_webhook_url(fields["webhook_url"], allow_private=allow_private_webhooks)
    for name, value in fields.items():
        setattr(row, name, value)
    row.updated_at = moment
    session.flush()
    return rule_to_public(row)


def delete_rule(session: Session, rule: int | str) -> AlertRulePublic:
    """Delete a rule; its alerts stay, detached from it.

    Raises:
        NotFoundError: no such rule.
    """
    lock_for_write(session, LOCK)
    row = rule_row(session, rule)
    public = rule_to_public(row)
    session.delete(row)
    session.flush()
    return public


def acknowledge_alert(
    session: Session,
    alert_id: int,
    *,
    actor: str,
    notes: str | None = None,
    now: datetime | None = None,
) -> AlertPublic:
    """Say someone is on it: ``active -> acknowledged``, with who, when and notes.

    Raises:
        NotFoundError: no such alert.
        ConflictError: the alert is already acknowledged or resolved.
    """
    moment = now or datetime.now(UTC)
    lock_for_write(session, LOCK, now=moment)
    row = alert_row(session, alert_id)
    if row.status != "active":
        raise ConflictError(_not_open(row, "acknowledged"))
    row.status = "acknowledged"
    row.acknowledged_by = actor
    row.acknowledged_at = moment
    row.acknowledge_notes = notes
    session.flush()
    return alert_to_public(row)


def resolve_alert(
    session: Session,
    alert_id: int,
    *,
    actor: str,
    notes: str | None = None,
    now: datetime | None = None,
) -> AlertPublic:
    """Close an alert: ``active | acknowledged -> resolved``, with who, when and notes.

    If the condition still holds, the next evaluation raises a new alert.

    Raises:
        NotFoundError: no such alert.
        ConflictError: the alert is already resolved.
    """
    moment = now or datetime.now(UTC)
    lock_for_write(session, LOCK, now=moment)
    row = alert_row(session, alert_id)
    if row.status == "resolved":
        raise ConflictError(_not_open(row, "resolved"))
    close_alert(row, actor=actor, notes=notes, now=moment)
    session.flush()
    return alert_to_public(row)


def close_alert(row: Alert, *, actor: str, notes: str | None, now: datetime) -> None:
    """Mark an open alert's row resolved (the caller flushes)."""
    row.status = "resolved"
    row.resolved_by = actor
    row.resolved_at = now
    row.resolution_notes = notes


def _not_open(row: Alert, wanted: str) -> str:
    if row.status == "resolved":
        return (
            f"alert #{row.id} was resolved by {row.resolved_by} at {_when(row.resolved_at)}, "
            f"so it cannot be {wanted}; a new alert is raised if the condition comes back"
        )
    return (
        f"alert #{row.id} is already acknowledged (by {row.acknowledged_by} at "
        f"{_when(row.acknowledged_at)}); from acknowledged it can only be resolved"
    )


def _when(moment: datetime | None) -> str:
    return "an unknown time" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


def record_notification(
    session: Session, alert_id: int, result: dict[str, Any]
) -> AlertPublic | None:
    """Append a webhook delivery's outcome to an alert (``None`` if the alert is gone)."""
    lock_for_write(session, LOCK)
    row = session.get(Alert, alert_id)
    if row is None:
        return None
    row.notifications = [*(row.notifications or []), result]
    session.flush()
    return alert_to_public(row)
