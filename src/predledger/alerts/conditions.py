"""What each kind of rule looks at, and whether its condition holds for one model now.

Every observation reads aggregates, never raw predictions: drift reports, stored
performance windows, the hourly rollups and the latency sketch. Rollups are hourly, so a
rule's window starts at the beginning of the hour it reaches back into.

An observation is ``firing=True`` (the condition holds), ``False`` (it does not) or ``None``
(not enough data to say: no report, no metric, fewer predictions than ``min_count``), in
which case an open alert is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from predledger.alerts.schemas import AlertRulePublic
from predledger.drift.models import DriftReport
from predledger.metrics.models import PerformanceMetric
from predledger.predictions.models import LatencyBucket, PredictionRollup
from predledger.predictions.sketch import percentile
from predledger.registry.queries import find_active_version
from predledger.registry.schemas import ModelVersionPublic

R = PredictionRollup


@dataclass(frozen=True)
class Observation:
    """What a rule saw for one model."""

    firing: bool | None
    value: float | None
    message: str
    version: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def rule_targets(session: Session, rule: AlertRulePublic, now: datetime) -> list[str]:
    """The models a rule watches: its own, or every model active or seen lately."""
    if rule.model is not None:
        return [rule.model]
    from predledger.registry.models import ModelVersion

    active = set(session.scalars(select(ModelVersion.name).where(ModelVersion.is_active)))
    since = _hour(now - max(timedelta(minutes=rule.window_minutes), timedelta(hours=24)))
    seen = set(session.scalars(select(R.model_name).where(R.hour >= since).distinct()))
    return sorted(active | seen)


def observe(session: Session, rule: AlertRulePublic, model: str, now: datetime) -> Observation:
    """Evaluate ``rule`` for ``model`` at ``now``."""
    return _OBSERVERS[rule.kind](session, rule, model, now)


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _since(rule: AlertRulePublic, now: datetime) -> datetime:
    return now - timedelta(minutes=rule.window_minutes)


def _drift(session: Session, rule: AlertRulePublic, model: str, now: datetime) -> Observation:
    active = find_active_version(session, model)
    if active is None:
        return Observation(None, None, f"{model} has no active version")
    row = session.execute(
        select(
            DriftReport.id, DriftReport.drift_detected, DriftReport.drift_score,
            DriftReport.n_drifted, DriftReport.n_features, DriftReport.drifted_features,
        )
        .where(
            DriftReport.model_name == model,
            DriftReport.model_version == active.version,
            DriftReport.created_at >= _since(rule, now),
        )
        .order_by(DriftReport.created_at.desc(), DriftReport.id.desc())
        .limit(1)
    ).first()  # fmt: skip
    if row is None:
        return Observation(None, None, "no recent drift report", active.version)
    report_id, detected, score, n_drifted, n_features, drifted = row
    firing = bool(detected) if rule.threshold is None else score >= rule.threshold
    names = ", ".join(list(drifted)[:8])
    message = (
        f"drift report #{report_id} on version {active.version}: {n_drifted} of {n_features} "
        f"features drifted (share {score:.2f}){f': {names}' if names else ''}"
    )
    details = {"drift_report_id": report_id, "drifted_features": list(drifted)}
    return Observation(firing, float(score), message, active.version, details)


def _performance(session: Session, rule: AlertRulePublic, model: str, now: datetime) -> Observation:
    active = find_active_version(session, model)
    if active is None:
        return Observation(None, None, f"{model} has no active version")
    metric = rule.metric or ""
    latest = _metric_value(session, model, active.version, metric, since=_since(rule, now))
    if latest is None:
        return Observation(None, None, f"no recent {metric} for version {active.version}")
    threshold = float(rule.threshold or 0.0)
    if rule.condition == "below":
        message = f"{metric} of version {active.version} is {latest:.4g} (bound {threshold:.4g})"
        return Observation(latest < threshold, latest, message, active.version)
    baseline = _baseline(session, active, metric)
    if baseline is None:
        return Observation(None, latest, f"no baseline {metric} for version {active.version}")
    floor = baseline * (1.0 - threshold)
    message = (
        f"{metric} of version {active.version} is {latest:.4g}, baseline {baseline:.4g} "
        f"(alert below {floor:.4g}, a drop of {threshold:.0%})"
    )
    details = {"baseline": baseline}
    return Observation(latest < floor, latest, message, active.version, details)


def _metric_value(
    session: Session, model: str, version: str, metric: str, *, since: datetime | None = None
) -> float | None:
    query = select(PerformanceMetric.value).where(
        PerformanceMetric.model_name == model,
        PerformanceMetric.model_version == version,
        PerformanceMetric.metric_name == metric,
    )
    end = func.coalesce(PerformanceMetric.window_end, PerformanceMetric.created_at)
    if since is not None:
        query = query.where(end >= since).order_by(
            end.desc(), PerformanceMetric.window_start.desc()
        )
    else:
        query = query.order_by(end.asc())
    value = session.scalars(query.limit(1)).first()
    return None if value is None else float(value)


def _baseline(session: Session, version: ModelVersionPublic, metric: str) -> float | None:
    """The version's registered offline metric, else the first value stored for it."""
    registered = version.metrics.get(metric)
    if registered is not None:
        return float(registered)
    return _metric_value(session, version.name, version.version, metric)


def _scope(model: str, version: str | None, table: Any) -> list[Any]:
    conditions = [table.model_name == model]
    if version is not None:
        conditions.append(table.model_version == version)
    return conditions


def _error_rate(session: Session, rule: AlertRulePublic, model: str, now: datetime) -> Observation:
    active = find_active_version(session, model)
    version = None if active is None else active.version
    total, errors = session.execute(
        select(
            func.coalesce(func.sum(R.count), 0),
            func.coalesce(func.sum(case((R.status == "error", R.count), else_=0)), 0),
        ).where(R.hour >= _hour(_since(rule, now)), *_scope(model, version, R))
    ).one()
    if int(total) < rule.min_count:
        return Observation(None, None, f"{int(total)} predictions, fewer than {rule.min_count}")
    rate = int(errors) / int(total)
    message = f"{int(errors)} of {int(total)} predictions failed ({rate:.1%})"
    details = {"errors": int(errors), "predictions": int(total)}
    return Observation(rate > float(rule.threshold or 0.0), rate, message, version, details)


def _latency(session: Session, rule: AlertRulePublic, model: str, now: datetime) -> Observation:
    active = find_active_version(session, model)
    version = None if active is None else active.version
    B = LatencyBucket
    pairs = [
        (int(bucket), int(count))
        for bucket, count in session.execute(
            select(B.bucket, func.sum(B.count))
            .where(B.hour >= _hour(_since(rule, now)), *_scope(model, version, B))
            .group_by(B.bucket)
        )
    ]
    count = sum(c for _, c in pairs)
    metric = rule.metric or "p95"
    value = percentile(pairs, float(metric[1:])) if count >= rule.min_count else None
    if value is None:
        return Observation(None, None, f"{count} latencies, fewer than {rule.min_count}")
    message = f"latency {metric} is {value:.1f} ms over {count} predictions"
    firing = value > float(rule.threshold or 0.0)
    return Observation(firing, value, message, version, {"predictions": count})


def _traffic(session: Session, rule: AlertRulePublic, model: str, now: datetime) -> Observation:
    total = session.scalar(
        select(func.coalesce(func.sum(R.count), 0)).where(
            R.model_name == model, R.hour >= _hour(_since(rule, now))
        )
    )
    count = int(total or 0)
    bound = float(rule.threshold if rule.threshold is not None else 1.0)
    message = (
        f"{count} predictions in the last {rule.window_minutes} minutes (expected >= {bound:g})"
    )
    return Observation(count < bound, float(count), message, None, {"predictions": count})


_OBSERVERS: dict[str, Callable[[Session, AlertRulePublic, str, datetime], Observation]] = {
    "drift": _drift,
    "performance": _performance,
    "error_rate": _error_rate,
    "latency": _latency,
    "traffic": _traffic,
}
