"""Reads of the registry; each returns schemas or plain data, never live ORM rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from predledger.errors import NotFoundError
from predledger.registry.models import ModelStageChange, ModelVersion, RegisteredModel
from predledger.registry.schemas import (
    ModelSummary,
    ModelVersionPublic,
    StageChangePublic,
)

if TYPE_CHECKING:
    from predledger.drift import ReferenceProfile
    from predledger.performance import ConfidenceEstimator


def to_public(row: ModelVersion) -> ModelVersionPublic:
    """Convert a version row to its public shape."""
    return ModelVersionPublic(
        id=row.id,
        name=row.name,
        version=row.version,
        algorithm=row.algorithm,
        task=row.task,
        classes=row.classes,
        metrics=row.metrics or {},
        hyperparameters=row.hyperparameters or {},
        feature_names=row.feature_names or [],
        model_path=row.model_path,
        metadata_path=row.metadata_path,
        training_samples=row.training_samples,
        dataset_version=row.dataset_version,
        description=row.description,
        stage=row.stage,
        is_active=row.is_active,
        has_reference_profile=row.reference_profile is not None,
        has_estimator=row.estimator is not None,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def stage_change_to_public(row: ModelStageChange) -> StageChangePublic:
    """Convert a stage change row to its public shape."""
    return StageChangePublic(
        id=row.id,
        name=row.name,
        version=row.version,
        action=row.action,
        from_stage=row.from_stage,
        to_stage=row.to_stage,
        previous_active_version=row.previous_active_version,
        actor=row.actor,
        reason=row.reason,
        changed_at=row.changed_at,
    )


def require_model(session: Session, name: str) -> None:
    """Raise ``NotFoundError`` unless a model called ``name`` is registered."""
    if session.get(RegisteredModel, name) is None:
        known = session.scalars(select(RegisteredModel.name).order_by(RegisteredModel.name))
        names = ", ".join(list(known)[:20]) or "none yet"
        raise NotFoundError(
            f"no model named {name!r} is registered (registered: {names}); "
            "register a version first with `predledger models register`"
        )


def version_row(session: Session, name: str, version: str) -> ModelVersion:
    """The row of one version; ``NotFoundError`` names the versions that do exist."""
    row = session.scalars(
        select(ModelVersion).where(ModelVersion.name == name, ModelVersion.version == version)
    ).one_or_none()
    if row is None:
        require_model(session, name)
        known = session.scalars(
            select(ModelVersion.version).where(ModelVersion.name == name).order_by(ModelVersion.id)
        )
        raise NotFoundError(
            f"model {name!r} has no version {version!r} (its versions: {', '.join(known)})"
        )
    return row


def active_row(session: Session, name: str) -> ModelVersion | None:
    """The active version's row of a model, or ``None``."""
    return session.scalars(
        select(ModelVersion).where(ModelVersion.name == name, ModelVersion.is_active)
    ).one_or_none()


def get_model_version(session: Session, name: str, version: str) -> ModelVersionPublic:
    """Return one version of a model.

    Raises:
        NotFoundError: the model or the version is not registered.
    """
    return to_public(version_row(session, name, version))


def find_model_version(session: Session, name: str, version: str) -> ModelVersionPublic | None:
    """Return one version of a model, or ``None`` when it is not registered."""
    row = session.scalars(
        select(ModelVersion).where(ModelVersion.name == name, ModelVersion.version == version)
    ).one_or_none()
    return None if row is None else to_public(row)


def get_model_version_by_id(session: Session, model_version_id: int) -> ModelVersionPublic:
    """Return the version with this id (the seed systems' ``model_id``).

    Raises:
        NotFoundError: no version has this id.
    """
    row = session.get(ModelVersion, model_version_id)
    if row is None:
        raise NotFoundError(
            f"no model version has id {model_version_id}: list them with `predledger models list`"
        )
    return to_public(row)


def find_active_version(session: Session, name: str) -> ModelVersionPublic | None:
    """Return the active version of a model, or ``None`` when it has none."""
    row = active_row(session, name)
    return None if row is None else to_public(row)


def get_active_version(session: Session, name: str) -> ModelVersionPublic:
    """Return the active version of a model.

    Raises:
        NotFoundError: the model is unknown or no version of it is active.
    """
    row = active_row(session, name)
    if row is None:
        require_model(session, name)
        raise NotFoundError(
            f"model {name!r} has no active version: promote one with "
            f"`predledger models promote {name} VERSION`"
        )
    return to_public(row)


def list_active_versions(session: Session) -> list[ModelVersionPublic]:
    """Return the active version of every model that has one, by model name."""
    rows = session.scalars(
        select(ModelVersion).where(ModelVersion.is_active).order_by(ModelVersion.name)
    )
    return [to_public(row) for row in rows]


def list_model_versions(
    session: Session,
    *,
    name: str | None = None,
    stage: str | None = None,
    limit: int = 100,
) -> list[ModelVersionPublic]:
    """Return versions, newest first, of one model or of all.

    Args:
        session: the session to read with.
        name: only this model's versions.
        stage: only versions in this stage.
        limit: at most this many.
    """
    query = select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
    if name is not None:
        query = query.where(ModelVersion.name == name)
    if stage is not None:
        query = query.where(ModelVersion.stage == stage)
    return [to_public(row) for row in session.scalars(query.limit(limit))]


def list_models(session: Session) -> list[ModelSummary]:
    """Return every registered model with its active version and its number of versions."""
    counts = (
        select(ModelVersion.name, func.count().label("n")).group_by(ModelVersion.name).subquery()
    )
    active = (
        select(ModelVersion.name, ModelVersion.version).where(ModelVersion.is_active).subquery()
    )
    rows = session.execute(
        select(RegisteredModel, counts.c.n, active.c.version)
        .outerjoin(counts, counts.c.name == RegisteredModel.name)
        .outerjoin(active, active.c.name == RegisteredModel.name)
        .order_by(RegisteredModel.name)
    )
    return [
        ModelSummary(
            name=model.name,
            description=model.description,
            active_version=active_version,
            version_count=count or 0,
            created_at=model.created_at,
            updated_at=model.updated_at,
        )
        for model, count, active_version in rows
    ]


def list_stage_changes(
    session: Session, *, name: str, version: str | None = None, limit: int = 100
) -> list[StageChangePublic]:
    """Return a model's recorded stage changes, newest first.

    Changes are ordered by their id, which the database hands out while the model's lock is
    held, so it is the order in which they happened even when clocks disagree.
    """
    query = select(ModelStageChange).where(ModelStageChange.name == name)
    if version is not None:
        query = query.where(ModelStageChange.version == version)
    query = query.order_by(ModelStageChange.id.desc())
    return [stage_change_to_public(row) for row in session.scalars(query.limit(limit))]


def find_reference_profile(session: Session, name: str, version: str) -> ReferenceProfile | None:
    """Return the reference profile stored with a version, or ``None`` when it has none.

    Raises:
        NotFoundError: the version is not registered.
    """
    data: Any = session.scalar(
        select(ModelVersion.reference_profile).where(
            ModelVersion.name == name, ModelVersion.version == version
        )
    )
    if data is None:
        version_row(session, name, version)
        return None
    from predledger.drift import ReferenceProfile  # scipy: imported when needed

    return ReferenceProfile.from_dict(data)


def find_estimator(session: Session, name: str, version: str) -> ConfidenceEstimator | None:
    """Return the confidence estimator fitted on a version's reference, or ``None``."""
    data: Any = session.scalar(
        select(ModelVersion.estimator).where(
            ModelVersion.name == name, ModelVersion.version == version
        )
    )
    if data is None:
        return None
    from predledger.performance import ConfidenceEstimator  # scikit-learn: imported when needed

    return ConfidenceEstimator.from_dict(data)
