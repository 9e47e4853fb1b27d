"""Alert rules on error rate, latency, traffic and performance: raised once, refreshed, resolved
when the condition clears; acknowledging and resolving by hand; one open alert per key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from predledger.alerts import operations as alerts
from predledger.alerts.models import Alert
from predledger.alerts.queries import list_alerts
from predledger.errors import ConflictError, InvalidRecordError
from predledger.ids import new_id
from predledger.metrics.models import PerformanceMetric
from predledger.registry import register_model_version


def _log(ledger, model, count, *, status="success", latency_ms=5.0):
    ledger.log_many(
        {"model": model, "version": "1", "status": status, "latency_ms": latency_ms}
        for _ in range(count)
    )
    assert ledger.flush(timeout=60)


def _open(store):
    with store.transaction() as session:
        return list_alerts(session, status="open")


def test_error_rate_and_latency_rules_raise_then_resolve(store, open_ledger):
    ledger = open_ledger()
    _log(ledger, "api", 15)
    _log(ledger, "api", 5, status="error", latency_ms=400.0)
    alerts.create_rule(store, name="errors", kind="error_rate", model="api", threshold=0.1,
                       min_count=10)  # fmt: skip
    alerts.create_rule(store, name="slow", kind="latency", metric="p95", threshold=100.0)
    result = alerts.evaluate_and_notify(store)
    assert len(result.raised) == 2
    by_rule = {a.related_data["rule"]: a for a in _open(store)}
    assert by_rule["errors"].observed_value == pytest.approx(0.25)
    assert by_rule["slow"].observed_value > 100.0
    assert by_rule["slow"].model == "api"

    alerts.update_rule(store, "errors", threshold=0.5)
    cleared = alerts.evaluate_and_notify(store)
    assert cleared.resolved == [by_rule["errors"].id]
    assert cleared.firing == [by_rule["slow"].id]
    with store.transaction() as session:
        [resolved] = list_alerts(session, status="resolved")
    assert resolved.resolution_notes.startswith("condition cleared: 5 of 20 predictions failed")


def test_traffic_and_performance_rules(store, open_ledger):
    register_model_version(store, name="quiet", version="1", stage="production",
                           metrics={"accuracy": 0.9})  # fmt: skip
    alerts.create_rule(store, name="no traffic", kind="traffic", model="quiet")
    alerts.create_rule(store, name="accuracy drop", kind="performance", model="quiet",
                       metric="accuracy", condition="drop", threshold=0.1)  # fmt: skip
    first = alerts.evaluate_and_notify(store)
    assert len(first.raised) == 1  # no traffic; no accuracy stored yet says nothing

    now = datetime.now(UTC)
    with store.transaction() as session:
        session.add(PerformanceMetric(
            id=new_id()[0], created_at=now, model_name="quiet", model_version="1",
            metric_name="accuracy", value=0.7, kind="realized",
            window_start=now - timedelta(hours=1), window_end=now,
        ))  # fmt: skip
    _log(open_ledger(), "quiet", 3)
    second = alerts.evaluate_and_notify(store)
    assert second.resolved == first.raised
    [dropped] = _open(store)
    assert dropped.alert_type == "performance"
    assert dropped.observed_value == pytest.approx(0.7)
    assert "baseline 0.9" in dropped.message


def test_acknowledge_resolve_and_one_open_alert_per_key(store, open_ledger):
    alerts.create_rule(store, name="no traffic", kind="traffic", model="ghost")
    [raised] = alerts.evaluate_and_notify(store).raised
    acked = alerts.acknowledge_alert(store, raised, actor="alice", notes="looking")
    assert (acked.status, acked.acknowledged_by, acked.acknowledge_notes) == (
        "acknowledged", "alice", "looking",
    )  # fmt: skip
    with pytest.raises(ConflictError, match=r"already acknowledged \(by alice"):
        alerts.acknowledge_alert(store, raised, actor="bob")
    assert alerts.evaluate_and_notify(store).firing == [raised]  # still one alert

    now = datetime.now(UTC)
    duplicate = Alert(
        dedupe_key=acked.dedupe_key, alert_type="traffic", severity="info", title="t",
        message="m", status="active", created_at=now, last_seen_at=now,
    )  # fmt: skip
    with pytest.raises(IntegrityError), store.transaction() as session:
        session.add(duplicate)

    done = alerts.resolve_alert(store, raised, actor="bob", notes="it was a test model")
    assert (done.status, done.resolved_by, done.resolution_notes) == (
        "resolved", "bob", "it was a test model",
    )  # fmt: skip
    with pytest.raises(ConflictError, match="was resolved by bob"):
        alerts.resolve_alert(store, raised, actor="bob")
    [again] = alerts.evaluate_and_notify(store).raised  # the condition still holds
    assert again != raised


def test_rule_definitions_are_checked(store):
    with pytest.raises(InvalidRecordError, match="a performance rule needs a metric"):
        alerts.create_rule(store, name="x", kind="performance", threshold=0.5)
    with pytest.raises(
        InvalidRecordError, match="kind error_rate takes condition above, not below"
    ):
        alerts.create_rule(store, name="x", kind="error_rate", condition="below", threshold=1)
    alerts.create_rule(store, name="x", kind="drift")
    with pytest.raises(ConflictError, match="an alert rule named 'x' exists"):
        alerts.create_rule(store, name="x", kind="drift")
