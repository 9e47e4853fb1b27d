"""The registry in one call each: every function runs its own transaction, retried on conflicts.

Example:
    from predledger import Store
    from predledger.registry import ReferenceDataset, promote_model_version, register_model_version

    store = Store("sqlite:///ledger.db")
    register_model_version(
        store, name="churn", version="3", algorithm="RandomForest",
        metrics={"accuracy": 0.91}, feature_names=["tenure", "plan"], stage="staging",
        reference=ReferenceDataset(validation_df, target="churned",
                                   probabilities={"no": "p_no", "yes": "p_yes"}),
    )
    promote_model_version(store, "churn", "3")
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from predledger.errors import InvalidRecordError
from predledger.registry import service
from predledger.registry.reference import (
    ReferenceDataset,
    ReferenceSource,
    build_reference_artifacts,
)
from predledger.registry.retry import run_in_transaction
from predledger.registry.schemas import (
    ModelVersionCreate,
    ModelVersionPublic,
    PromotionResult,
    Stage,
    Task,
)
from predledger.store.engine import Store


def default_actor() -> str:
    """The login name of the user running this process, recorded as who made a change."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"


def register_model_version(
    store: Store,
    *,
    name: str,
    version: str,
    algorithm: str | None = None,
    metrics: Mapping[str, float] | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
    feature_names: Sequence[str] = (),
    model_path: str | None = None,
    metadata_path: str | None = None,
    training_samples: int | None = None,
    dataset_version: str | None = None,
    description: str | None = None,
    task: Task | None = None,
    classes: Sequence[Any] | None = None,
    stage: Stage = "training",
    reference: ReferenceDataset | ReferenceSource | None = None,
    actor: str | None = None,
) -> ModelVersionPublic:
    """Register a model version, with its reference profile when given a reference dataset.

    Args:
        store: the database.
        name: the model's name (the ``model`` given to ``Ledger.log``).
        version: the version string (the ``version`` given to ``Ledger.log``).
        algorithm: e.g. ``"RandomForest"``.
        metrics: offline metrics, e.g. ``{"accuracy": 0.91}``.
        hyperparameters: training parameters.
        feature_names: input features, in order.
        model_path: where the model artefact lives.
        metadata_path: where its metadata lives.
        training_samples: rows it was trained on.
        dataset_version: the training data's version.
        description: free text.
        task: ``"classification"`` or ``"regression"``; inferred from the reference's
            probabilities when not given.
        classes: a classifier's classes in the order of its probability columns.
        stage: the initial stage; ``"production"`` also makes it the active version.
        reference: a ``ReferenceDataset``, or just a DataFrame / CSV / Parquet path whose
            columns are all features.
        actor: who registers it (default: the current user).

    Returns:
        The registered version.

    Raises:
        ConflictError: the version already exists.
        InvalidRecordError: a field or the reference dataset is unusable; the message says why.
    """
    names = [str(c) for c in classes] if classes is not None else None
    profile = estimator = None
    if reference is not None:
        spec = reference if isinstance(reference, ReferenceDataset) else ReferenceDataset(reference)
        artifacts = build_reference_artifacts(spec, feature_names=feature_names, classes=names)
        profile, estimator, names = artifacts.profile, artifacts.estimator, artifacts.classes
        feature_names = feature_names or [f["name"] for f in profile["features"]]
    try:
        data = ModelVersionCreate(
            name=name,
            version=version,
            algorithm=algorithm,
            task=task or ("classification" if estimator is not None or names else None),
            classes=names,
            metrics=dict(metrics or {}),
            hyperparameters=dict(hyperparameters or {}),
            feature_names=list(feature_names),
            model_path=model_path,
            metadata_path=metadata_path,
            training_samples=training_samples,
            dataset_version=dataset_version,
            description=description,
            stage=stage,
            reference_profile=profile,
            estimator=estimator,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "version"
        raise InvalidRecordError(field, first["msg"]) from None
    return create_model_version(store, data, actor=actor)


def create_model_version(
    store: Store, data: ModelVersionCreate, *, actor: str | None = None
) -> ModelVersionPublic:
    """Register a version described by a ``ModelVersionCreate`` (see ``register_model_version``)."""
    who = actor or default_actor()
    return run_in_transaction(
        store,
        lambda session: service.create_model_version(session, data, actor=who),
        what=f"register version {data.version} of {data.name}",
    )


def promote_model_version(
    store: Store, name: str, version: str, *, actor: str | None = None, reason: str | None = None
) -> PromotionResult:
    """Make a staging version the active production version, archiving the one it replaces."""
    who = actor or default_actor()
    return run_in_transaction(
        store,
        lambda session: service.promote_version(
            session, name=name, version=version, actor=who, reason=reason
        ),
        what=f"promote version {version} of {name}",
    )


def transition_model_version(
    store: Store,
    name: str,
    version: str,
    stage: Stage,
    *,
    actor: str | None = None,
    reason: str | None = None,
) -> ModelVersionPublic:
    """Move a version to another stage (``production`` promotes it)."""
    who = actor or default_actor()
    return run_in_transaction(
        store,
        lambda session: service.transition_stage(
            session, name=name, version=version, stage=stage, actor=who, reason=reason
        ),
        what=f"move version {version} of {name} to {stage}",
    )


def archive_model_version(
    store: Store, name: str, version: str, *, actor: str | None = None, reason: str | None = None
) -> ModelVersionPublic:
    """Archive a version that is not the active one."""
    return transition_model_version(store, name, version, "archived", actor=actor, reason=reason)


def rollback_model(
    store: Store,
    name: str,
    *,
    to_version: str | None = None,
    actor: str | None = None,
    reason: str | None = None,
) -> PromotionResult:
    """Re-activate the version that was active before the current one (or ``to_version``)."""
    who = actor or default_actor()
    return run_in_transaction(
        store,
        lambda session: service.rollback_model(
            session, name=name, actor=who, to_version=to_version, reason=reason
        ),
        what=f"roll back {name}",
    )
