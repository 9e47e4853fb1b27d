"""Registering versions, moving them between stages, promoting and rolling back."""

from __future__ import annotations

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError

from predledger.errors import ConflictError, InvalidRecordError, NotFoundError
from predledger.registry import (
    archive_model_version,
    find_active_version,
    get_active_version,
    get_model_version,
    get_model_version_by_id,
    list_model_versions,
    list_models,
    list_stage_changes,
    promote_model_version,
    register_model_version,
    rollback_model,
    transition_model_version,
)
from predledger.registry.models import ModelVersion


def _active(store):
    with store.transaction() as session:
        found = find_active_version(session, "churn")
    return None if found is None else found.version


def _stage(store, version):
    with store.transaction() as session:
        return get_model_version(session, "churn", version).stage


def test_register_keeps_everything_given(store):
    registered = register_model_version(
        store,
        name="churn",
        version="1",
        algorithm="RandomForest",
        metrics={"accuracy": 0.85, "f1": 0.83},
        hyperparameters={"n_estimators": 100},
        feature_names=["age", "tenure"],
        model_path="/models/churn-1.pkl",
        metadata_path="/models/churn-1.yaml",
        training_samples=1000,
        dataset_version="2024-01",
        actor="alice",
    )
    with store.transaction() as session:
        by_id = get_model_version_by_id(session, registered.id)
    assert by_id == registered
    assert registered.stage == "training"
    assert not registered.is_active
    assert registered.metrics == {"accuracy": 0.85, "f1": 0.83}
    assert registered.hyperparameters == {"n_estimators": 100}
    assert registered.feature_names == ["age", "tenure"]
    assert (registered.model_path, registered.training_samples) == ("/models/churn-1.pkl", 1000)
    assert registered.dataset_version == "2024-01"
    assert registered.created_by == "alice"


def test_a_version_string_is_registered_once(store):
    register_model_version(store, name="churn", version="1")
    with pytest.raises(ConflictError, match="already has a version '1'"):
        register_model_version(store, name="churn", version="1")


def test_registering_into_production_activates_and_archives_the_old_one(store):
    register_model_version(store, name="churn", version="1", stage="production")
    register_model_version(store, name="churn", version="2", stage="production")
    assert _active(store) == "2"
    assert _stage(store, "1") == "archived"


def test_promotion_needs_staging_and_names_the_allowed_moves(store):
    register_model_version(store, name="churn", version="1")
    with pytest.raises(ConflictError, match="in training, which can move to staging, archived"):
        promote_model_version(store, "churn", "1")
    transition_model_version(store, "churn", "1", "staging")
    result = promote_model_version(store, "churn", "1", actor="bob", reason="beats 0")
    assert (result.active.version, result.active.stage) == ("1", "production")
    assert result.replaced is None
    assert _active(store) == "1"


def test_promoting_replaces_the_active_version(store):
    register_model_version(store, name="churn", version="1", stage="production")
    register_model_version(store, name="churn", version="2", stage="staging")
    result = promote_model_version(store, "churn", "2")
    assert result.replaced is not None
    assert (result.replaced.version, result.replaced.stage) == ("1", "archived")
    assert not result.replaced.is_active
    assert _active(store) == "2"
    with store.transaction() as session:
        assert get_active_version(session, "churn").version == "2"
        assert [m.active_version for m in list_models(session)] == ["2"]
        assert [v.version for v in list_model_versions(session, name="churn")] == ["2", "1"]


def test_the_active_version_cannot_be_archived_or_demoted(store):
    register_model_version(store, name="churn", version="1", stage="production")
    with pytest.raises(ConflictError, match="rollback churn"):
        archive_model_version(store, "churn", "1")
    with pytest.raises(ConflictError, match="leaves production only when another"):
        transition_model_version(store, "churn", "1", "staging")
    assert _active(store) == "1"


def test_archived_versions_return_through_staging(store):
    register_model_version(store, name="churn", version="1")
    archive_model_version(store, "churn", "1", reason="bad data")
    with pytest.raises(ConflictError, match="archived, which can move to staging but not to"):
        transition_model_version(store, "churn", "1", "training")
    assert transition_model_version(store, "churn", "1", "staging").stage == "staging"


def test_rollback_reactivates_the_previous_version_and_toggles(store):
    register_model_version(store, name="churn", version="1", stage="production")
    register_model_version(store, name="churn", version="2", stage="staging")
    promote_model_version(store, "churn", "2")

    result = rollback_model(store, "churn", actor="carol", reason="v2 misbehaves")
    assert result.active.version == "1"
    assert result.replaced is not None
    assert result.replaced.version == "2"
    assert (_active(store), _stage(store, "2")) == ("1", "archived")

    assert rollback_model(store, "churn").active.version == "2"
    assert _active(store) == "2"


def test_rollback_needs_somewhere_to_go(store):
    register_model_version(store, name="churn", version="1", stage="production")
    register_model_version(store, name="churn", version="2", stage="staging")
    with pytest.raises(ConflictError, match="nothing to roll back to"):
        rollback_model(store, "churn")
    with pytest.raises(ConflictError, match="never in production"):
        rollback_model(store, "churn", to_version="2")
    register_model_version(store, name="other", version="1")
    with pytest.raises(ConflictError, match="no active version to roll back from"):
        rollback_model(store, "other")


def test_every_change_is_recorded_with_who_when_from_and_to(store):
    register_model_version(store, name="churn", version="1", stage="production", actor="alice")
    register_model_version(store, name="churn", version="2", actor="alice")
    transition_model_version(store, "churn", "2", "staging", actor="bob", reason="reviewed")
    promote_model_version(store, "churn", "2", actor="bob")
    rollback_model(store, "churn", actor="carol")
    with store.transaction() as session:
        changes = list_stage_changes(session, name="churn")
    summary = [
        (c.version, c.action, c.from_stage, c.to_stage, c.previous_active_version, c.actor)
        for c in reversed(changes)
    ]
    assert summary == [
        ("1", "register", None, "production", None, "alice"),
        ("2", "register", None, "training", None, "alice"),
        ("2", "transition", "training", "staging", None, "bob"),
        ("1", "replace", "production", "archived", None, "bob"),
        ("2", "promote", "staging", "production", "1", "bob"),
        ("2", "replace", "production", "archived", None, "carol"),
        ("1", "rollback", "archived", "production", "2", "carol"),
    ]
    assert changes[-3].reason == "reviewed"
    assert all(c.changed_at.tzinfo is not None for c in changes)


def test_unknown_models_and_versions_are_named(store):
    with pytest.raises(NotFoundError, match="no model named 'churn'"):
        promote_model_version(store, "churn", "1")
    register_model_version(store, name="churn", version="1")
    register_model_version(store, name="churn", version="2")
    with pytest.raises(NotFoundError, match=r"no version '9' \(its versions: 1, 2\)"):
        promote_model_version(store, "churn", "9")
    with store.transaction() as session, pytest.raises(NotFoundError, match="no active version"):
        get_active_version(session, "churn")
    with store.transaction() as session, pytest.raises(NotFoundError, match="id 999"):
        get_model_version_by_id(session, 999)


def test_the_database_refuses_a_second_active_version(store):
    register_model_version(store, name="churn", version="1", stage="production")
    register_model_version(store, name="churn", version="2", stage="staging")
    with pytest.raises(IntegrityError), store.transaction() as session:
        session.execute(
            update(ModelVersion).where(ModelVersion.version == "2").values(is_active=True)
        )
    # Inactive rows are not constrained: the index is partial.
    with store.transaction() as session:
        inactive = session.execute(
            text("SELECT COUNT(*) FROM model_versions WHERE NOT is_active")
        ).scalar_one()
    assert inactive == 1


def test_bad_fields_are_named(store):
    with pytest.raises(InvalidRecordError, match=r"metrics\.confusion"):
        register_model_version(store, name="churn", version="1", metrics={"confusion": [[1]]})
    with pytest.raises(InvalidRecordError, match="version"):
        register_model_version(store, name="churn", version="")
