"""The whole story on a real database: traffic drifts, a report sees it, an alert is raised
once, a rollback is proposed, approved by a second person, executed, and the alert resolves."""

from __future__ import annotations

import pytest
from monitoring_data import log_traffic, reference_frame, traffic

from predledger.actions import operations as actions
from predledger.actions.queries import list_action_events
from predledger.alerts import operations as alerts
from predledger.alerts.queries import list_alerts
from predledger.drift.operations import run_drift_report
from predledger.errors import ConflictError
from predledger.registry import get_active_version, promote_model_version, register_model_version


def _two_versions(store):
    reference = reference_frame()
    register_model_version(
        store, name="churn", version="1", reference=reference, stage="production"
    )
    register_model_version(store, name="churn", version="2", reference=reference, stage="staging")
    promote_model_version(store, "churn", "2", actor="carol")


def test_drift_alert_rollback_approval_story(store, open_ledger):
    _two_versions(store)
    ledger = open_ledger()
    log_traffic(ledger, "churn", "2", traffic(800, shifted=True))

    report = run_drift_report(store, model="churn", hours=2, actor="alice")
    assert report.model_version == "2"
    assert report.drift_detected
    assert set(report.drifted_features) == {"income", "age", "plan"}
    assert report.current_size == 800

    rule = alerts.create_rule(store, name="churn drift", kind="drift", model="churn",
                              severity="critical", actor="alice")  # fmt: skip
    first = alerts.evaluate_and_notify(store)
    second = alerts.evaluate_and_notify(store)
    assert len(first.raised) == 1
    assert second.raised == []
    assert second.firing == first.raised
    with store.transaction() as session:
        [alert] = list_alerts(session, status="open")
    assert alert.rule_id == rule.id
    assert alert.version == "2"
    assert alert.severity == "critical"
    assert f"drift report #{report.id}" in alert.message

    proposed = actions.propose_action(
        store, actor="alice", action_type="rollback", model="churn", risk_level="high",
        alert_id=alert.id, description="roll back churn: its inputs drifted",
    )  # fmt: skip
    assert proposed.status == "pending"
    assert proposed.requires_approval
    with pytest.raises(ConflictError, match="cannot approve it too"):
        actions.approve_action(store, proposed.id, reviewer="alice")
    approved = actions.approve_action(store, proposed.id, reviewer="bob", comment="confirmed")
    assert (approved.status, approved.reviewed_by) == ("approved", "bob")
    executed = actions.execute_action(store, proposed.id, actor="bob")
    assert executed.status == "executed", executed.error
    assert executed.execution_result == {
        "model": "churn", "active_version": "1", "replaced_version": "2",
    }  # fmt: skip
    with store.transaction() as session:
        assert get_active_version(session, "churn").version == "1"
        trail = list_action_events(session, proposed.id)
    assert [(e.actor, e.from_status, e.to_status) for e in trail] == [
        ("alice", None, "pending"),
        ("bob", "pending", "approved"),
        ("bob", "approved", "executed"),
    ]

    after = alerts.evaluate_and_notify(store)
    assert after.resolved == [alert.id]
    with store.transaction() as session:
        [resolved] = list_alerts(session, status="resolved")
    assert resolved.resolved_by == "predledger"
    assert "now serves version 1" in (resolved.resolution_notes or "")


def test_a_rule_policy_proposes_its_action_once(store, open_ledger):
    _two_versions(store)
    log_traffic(open_ledger(), "churn", "2", traffic(400, shifted=True))
    run_drift_report(store, model="churn", hours=2)
    alerts.create_rule(store, name="drift rollback", kind="drift",
                       action_policy={"type": "rollback", "risk_level": "high"})  # fmt: skip
    first = alerts.evaluate_and_notify(store)
    again = alerts.evaluate_and_notify(store)
    assert len(first.proposed_actions) == 1
    assert again.proposed_actions == []
    [action_id] = first.proposed_actions
    with store.transaction() as session:
        from predledger.actions.queries import get_action

        action = get_action(session, action_id)
    assert action.proposed_by == "rule:drift rollback"
    assert action.alert_id == first.raised[0]
    assert action.parameters == {"model": "churn"}
    assert action.status == "pending"
