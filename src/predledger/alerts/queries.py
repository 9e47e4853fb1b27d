"""Reads of alert rules and alerts; each returns schemas, never live ORM rows."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from predledger.alerts.models import Alert, AlertRule
from predledger.alerts.schemas import OPEN_STATUSES, ActionPolicy, AlertPublic, AlertRulePublic
from predledger.errors import NotFoundError

StatusFilter = Literal["active", "acknowledged", "resolved", "open"]


def rule_to_public(row: AlertRule) -> AlertRulePublic:
    """Convert a rule row to its public shape."""
    policy = ActionPolicy.model_validate(row.action_policy) if row.action_policy else None
    return AlertRulePublic(
        id=row.id,
        name=row.name,
        kind=row.kind,
        model=row.model_name,
        metric=row.metric,
        condition=row.condition,
        threshold=row.threshold,
        window_minutes=row.window_minutes,
        min_count=row.min_count,
        severity=row.severity,
        enabled=row.enabled,
        auto_resolve=row.auto_resolve,
        webhook_url=row.webhook_url,
        action_policy=policy,
        description=row.description,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def alert_to_public(row: Alert) -> AlertPublic:
    """Convert an alert row to its public shape."""
    return AlertPublic(
        id=row.id,
        rule_id=row.rule_id,
        dedupe_key=row.dedupe_key,
        model=row.model_name,
        version=row.model_version,
        alert_type=row.alert_type,
        severity=row.severity,
        title=row.title,
        message=row.message,
        status=row.status,
        observed_value=row.observed_value,
        related_data=dict(row.related_data or {}),
        notifications=list(row.notifications or []),
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        acknowledge_notes=row.acknowledge_notes,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        resolution_notes=row.resolution_notes,
    )


def rule_row(session: Session, rule: int | str) -> AlertRule:
    """The row of a rule given by id or name; ``NotFoundError`` lists the rules that exist."""
    if isinstance(rule, int) or (isinstance(rule, str) and rule.isdigit()):
        row = session.get(AlertRule, int(rule))
    else:
        row = session.scalars(select(AlertRule).where(AlertRule.name == rule)).one_or_none()
    if row is None:
        names = ", ".join(session.scalars(select(AlertRule.name).order_by(AlertRule.id))) or "none"
        raise NotFoundError(
            f"no alert rule {rule!r} (rules: {names}); create one with `predledger alerts "
            "add-rule` or POST /v1/alerts/rules"
        )
    return row


def get_rule(session: Session, rule: int | str) -> AlertRulePublic:
    """Return a rule by id or name.

    Raises:
        NotFoundError: no such rule.
    """
    return rule_to_public(rule_row(session, rule))


def list_rules(session: Session, *, enabled: bool | None = None) -> list[AlertRulePublic]:
    """Return every rule (or only the enabled or disabled ones), oldest first."""
    query = select(AlertRule).order_by(AlertRule.id)
    if enabled is not None:
        query = query.where(AlertRule.enabled == enabled)
    return [rule_to_public(row) for row in session.scalars(query)]


def alert_row(session: Session, alert_id: int) -> Alert:
    """The row of an alert; ``NotFoundError`` says how to list them."""
    row = session.get(Alert, alert_id)
    if row is None:
        raise NotFoundError(f"no alert has id {alert_id}: list them with `predledger alerts list`")
    return row


def get_alert(session: Session, alert_id: int) -> AlertPublic:
    """Return one alert.

    Raises:
        NotFoundError: no alert has this id.
    """
    return alert_to_public(alert_row(session, alert_id))


def list_alerts(
    session: Session,
    *,
    status: StatusFilter | None = None,
    model: str | None = None,
    severity: str | None = None,
    alert_type: str | None = None,
    rule_id: int | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[AlertPublic]:
    """Return alerts, newest first.

    Args:
        session: the session to read with.
        status: ``active``, ``acknowledged``, ``resolved``, or ``open`` (both unresolved).
        model: only this model's alerts.
        severity: only this severity.
        alert_type: only this kind (``drift``, ``performance``...).
        rule_id: only this rule's alerts.
        since: only alerts raised at or after this time.
        limit: at most this many.
    """
    query = select(Alert)
    if status == "open":
        query = query.where(Alert.status.in_(OPEN_STATUSES))
    elif status is not None:
        query = query.where(Alert.status == status)
    if model is not None:
        query = query.where(Alert.model_name == model)
    if severity is not None:
        query = query.where(Alert.severity == severity)
    if alert_type is not None:
        query = query.where(Alert.alert_type == alert_type)
    if rule_id is not None:
        query = query.where(Alert.rule_id == rule_id)
    if since is not None:
        query = query.where(Alert.created_at >= since)
    query = query.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)
    return [alert_to_public(row) for row in session.scalars(query)]
