"""Evaluating the rules: raise at most one alert per rule and model, resolve when it clears.

For each enabled rule and each model it watches, the condition is observed
(``predledger.alerts.conditions``):

- it holds and no alert is open for that rule and model: an alert is raised (and the rule's
  action policy, if any, proposes its remediation, waiting for approval);
- it holds and an alert is open: that alert is refreshed (``last_seen_at``, value, message);
- it no longer holds (or the version the alert was about is no longer the active one) and
  the rule resolves automatically: the open alert is resolved by ``predledger``.

Webhooks are not sent here: the evaluation runs inside the caller's transaction, so it
returns the notifications to send once that transaction has committed
(``predledger.alerts.operations.evaluate_and_notify`` does both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from predledger.alerts.conditions import Observation, observe, rule_targets
from predledger.alerts.models import Alert, AlertRule
from predledger.alerts.queries import alert_to_public, rule_row, rule_to_public
from predledger.alerts.schemas import OPEN_STATUSES, AlertRulePublic, EvaluationResult
from predledger.alerts.service import LOCK, close_alert
from predledger.monitor.locks import lock_for_write

SYSTEM_ACTOR = "predledger"
_TITLES = {
    "drift": "Data drift detected",
    "performance": "{metric} degraded",
    "error_rate": "Error rate too high",
    "latency": "Latency {metric} too high",
    "traffic": "Traffic missing",
}


@dataclass(frozen=True)
class PendingNotification:
    """A webhook to send once the evaluation's transaction has committed."""

    alert_id: int
    url: str
    payload: dict[str, Any]


@dataclass
class Evaluation:
    """What an evaluation did, and the webhooks it leaves to send."""

    result: EvaluationResult
    notifications: list[PendingNotification]


@dataclass
class _Tally:
    checks: int = 0
    raised: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    firing: list[int] = field(default_factory=list)
    proposed: list[int] = field(default_factory=list)
    notifications: list[PendingNotification] = field(default_factory=list)


def dedupe_key(rule_id: int, model: str | None) -> str:
    """The key that makes one open alert per rule and model."""
    return f"rule:{rule_id}:model:{model or '*'}"


def evaluate_alert_rules(
    session: Session,
    *,
    now: datetime | None = None,
    rules: Sequence[int | str] | None = None,
) -> Evaluation:
    """Evaluate the enabled rules (or the ones named) and raise or resolve alerts.

    Args:
        session: the caller's session; nothing is committed here.
        now: the moment of the evaluation.
        rules: only these rules (ids or names), enabled or not.

    Returns:
        The alerts raised, refreshed and resolved, and the webhooks to send after commit.
    """
    moment = now or datetime.now(UTC)
    lock_for_write(session, LOCK, now=moment)
    if rules is None:
        rows = list(
            session.scalars(select(AlertRule).where(AlertRule.enabled).order_by(AlertRule.id))
        )
    else:
        rows = [rule_row(session, rule) for rule in rules]
    tally = _Tally()
    for row in rows:
        rule = rule_to_public(row)
        for model in rule_targets(session, rule, moment):
            tally.checks += 1
            _apply(session, rule, model, observe(session, rule, model, moment), moment, tally)
    result = EvaluationResult(
        evaluated_at=moment,
        rules=len(rows),
        checks=tally.checks,
        raised=tally.raised,
        resolved=tally.resolved,
        firing=tally.firing,
        proposed_actions=tally.proposed,
    )
    return Evaluation(result, tally.notifications)


def _apply(
    session: Session,
    rule: AlertRulePublic,
    model: str,
    seen: Observation,
    now: datetime,
    tally: _Tally,
) -> None:
    key = dedupe_key(rule.id, model)
    open_alert = session.scalars(
        select(Alert).where(Alert.dedupe_key == key, Alert.status.in_(OPEN_STATUSES))
    ).one_or_none()
    if seen.firing:
        if open_alert is None:
            _raise(session, rule, model, seen, now, tally)
        else:
            open_alert.last_seen_at = now
            open_alert.observed_value = seen.value
            open_alert.message = seen.message
            tally.firing.append(open_alert.id)
        return
    if open_alert is None or not rule.auto_resolve:
        return
    if seen.firing is False:
        notes = f"condition cleared: {seen.message}"
    elif seen.version and open_alert.model_version and seen.version != open_alert.model_version:
        notes = (
            f"version {open_alert.model_version} is no longer active: {model} now serves "
            f"version {seen.version}"
        )
    else:
        return
    close_alert(open_alert, actor=SYSTEM_ACTOR, notes=notes, now=now)
    session.flush()
    tally.resolved.append(open_alert.id)
    _notify(rule, open_alert, "alert.resolved", tally)


def _raise(
    session: Session,
    rule: AlertRulePublic,
    model: str,
    seen: Observation,
    now: datetime,
    tally: _Tally,
) -> None:
    title = _TITLES[rule.kind].format(metric=rule.metric or "")
    row = Alert(
        rule_id=rule.id,
        dedupe_key=dedupe_key(rule.id, model),
        model_name=model,
        model_version=seen.version,
        alert_type=rule.kind,
        severity=rule.severity,
        title=f"{title} on {model}",
        message=seen.message,
        status="active",
        observed_value=seen.value,
        related_data={"rule": rule.name, "threshold": rule.threshold, **seen.details},
        notifications=[],
        created_at=now,
        last_seen_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # another evaluation raised it first; the index kept it single
        return
    tally.raised.append(row.id)
    if rule.action_policy is not None:
        tally.proposed.append(_propose(session, rule, row, now))
    _notify(rule, row, "alert.raised", tally)


def _propose(session: Session, rule: AlertRulePublic, alert: Alert, now: datetime) -> int:
    from predledger.actions.schemas import ActionCreate
    from predledger.actions.service import propose_action

    policy = rule.action_policy
    assert policy is not None
    parameters = {"model": alert.model_name, **policy.parameters}
    data = ActionCreate(
        action_type=policy.type,
        description=policy.description or f"{policy.type} {alert.model_name}: {alert.message}",
        model=alert.model_name,
        risk_level=policy.risk_level,
        alert_id=alert.id,
        parameters=parameters,
    )
    return propose_action(session, data, actor=f"rule:{rule.name}", now=now).id


def _notify(rule: AlertRulePublic, row: Alert, event: str, tally: _Tally) -> None:
    if not rule.webhook_url:
        return
    payload = {
        "event": event,
        "rule": {"id": rule.id, "name": rule.name, "kind": rule.kind},
        "alert": alert_to_public(row).model_dump(mode="json"),
    }
    tally.notifications.append(PendingNotification(row.id, rule.webhook_url, payload))
