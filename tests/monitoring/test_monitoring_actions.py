"""Actions: every refused transition says why and what is allowed; handlers' results and
errors are stored; every step is audited."""

from __future__ import annotations

import pytest

from predledger.actions import operations as actions
from predledger.actions.handlers import ActionHandlers
from predledger.actions.queries import list_action_events
from predledger.errors import ConfigurationError, ConflictError
from predledger.registry import get_active_version, register_model_version


@pytest.fixture
def pending(store):
    return actions.propose_action(
        store, actor="alice", action_type="rollback", model="churn", risk_level="high"
    )


def test_refused_transitions_name_what_is_allowed(store, pending):
    with pytest.raises(ConflictError, match="approve it first"):
        actions.execute_action(store, pending.id, actor="bob")
    with pytest.raises(ConflictError, match="proposed by alice, who cannot approve it too"):
        actions.approve_action(store, pending.id, reviewer="alice")
    actions.approve_action(store, pending.id, reviewer="bob")
    approved_twice = r"is approved \(by bob\), so it cannot be approved: from approved it can"
    with pytest.raises(ConflictError, match=approved_twice + " only be executed or failed"):
        actions.approve_action(store, pending.id, reviewer="carol")
    with pytest.raises(ConflictError, match="cannot be rejected"):
        actions.reject_action(store, pending.id, reviewer="carol")

    rejected = actions.propose_action(store, actor="alice", action_type="rollback", model="x")
    actions.reject_action(store, rejected.id, reviewer="alice", comment="withdrawn")
    for attempt, wanted in (
        (lambda: actions.execute_action(store, rejected.id, actor="bob"), "executed"),
        (lambda: actions.approve_action(store, rejected.id, reviewer="bob"), "approved"),
    ):
        final = rf"is rejected \(by alice\), so it cannot be {wanted}: rejected is final"
        with pytest.raises(ConflictError, match=final):
            attempt()
    with store.transaction() as session:
        trail = list_action_events(session, rejected.id)
    assert [(e.actor, e.to_status, e.comment) for e in trail] == [
        ("alice", "pending", None), ("alice", "rejected", "withdrawn"),
    ]  # fmt: skip


def test_execution_stores_the_result_once_and_failures_are_recorded(store, pending):
    register_model_version(store, name="churn", version="1", stage="production")
    actions.approve_action(store, pending.id, reviewer="bob")
    failed = actions.execute_action(store, pending.id, actor="bob")
    assert failed.status == "failed"  # churn 1 replaced nothing: nothing to roll back to
    assert "nothing to roll back to" in failed.error
    with store.transaction() as session:
        assert get_active_version(session, "churn").version == "1"
        assert list_action_events(session, pending.id)[-1].to_status == "failed"
    with pytest.raises(ConflictError, match="failed is final"):
        actions.execute_action(store, pending.id, actor="bob")


def test_custom_handlers_and_low_risk_actions(store):
    calls = []
    handlers = ActionHandlers({"retrain": lambda ctx: calls.append(ctx.actor) or {"job": 42}})
    low = actions.propose_action(store, actor="alice", action_type="retrain", risk_level="low",
                                 parameters={"epochs": 3})  # fmt: skip
    assert not low.requires_approval
    done = actions.execute_action(store, low.id, actor="alice", handlers=handlers)
    assert (done.status, done.execution_result, calls) == ("executed", {"job": 42}, ["alice"])
    with pytest.raises(ConflictError, match="executed is final"):
        actions.execute_action(store, low.id, actor="alice", handlers=handlers)

    unknown = actions.propose_action(store, actor="alice", action_type="reindex", risk_level="low")
    with pytest.raises(ConfigurationError, match="register_action_handler"):
        actions.execute_action(store, unknown.id, actor="alice")
    with store.transaction() as session:
        assert [e.to_status for e in list_action_events(session, unknown.id)] == ["pending"]
