"""Shapes of registry data going in and coming out; ORM rows never leave the store layer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

Stage = Literal["training", "staging", "production", "archived"]
Task = Literal["classification", "regression"]
ChangeAction = Literal["register", "transition", "promote", "replace", "rollback"]

STAGES: Final[tuple[Stage, ...]] = ("training", "staging", "production", "archived")

ALLOWED_TRANSITIONS: Final[dict[str, tuple[Stage, ...]]] = {
    "training": ("staging", "archived"),
    "staging": ("production", "training", "archived"),
    # The active version leaves production only when another version replaces it
    # (promotion or rollback), so a model that has an active version always keeps one.
    "production": (),
    "archived": ("staging",),
}
"""Stage -> stages a version may move to with a plain transition."""


class ModelVersionBase(BaseModel):
    """What is registered with a version, whether through the library, the CLI or HTTP."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    version: str = Field(min_length=1, max_length=100)
    algorithm: str | None = Field(default=None, max_length=200)
    task: Task | None = None
    classes: list[str] | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    feature_names: list[str] = Field(default_factory=list)
    model_path: str | None = Field(default=None, max_length=1000)
    metadata_path: str | None = Field(default=None, max_length=1000)
    training_samples: int | None = Field(default=None, ge=0)
    dataset_version: str | None = Field(default=None, max_length=100)
    description: str | None = None
    stage: Stage = "training"


class ModelVersionCreate(ModelVersionBase):
    """A model version to register.

    ``reference_profile`` and ``estimator`` are the JSON forms of a
    ``predledger.drift.ReferenceProfile`` and a ``predledger.performance.ConfidenceEstimator``;
    ``register_model_version`` builds both from a reference dataset.
    """

    name: str = Field(min_length=1, max_length=200)
    reference_profile: dict[str, Any] | None = None
    estimator: dict[str, Any] | None = None


class ModelVersionPublic(BaseModel):
    """A registered model version as callers see it (without its reference data)."""

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    id: int
    name: str
    version: str
    algorithm: str | None
    task: Task | None
    classes: list[str] | None
    metrics: dict[str, float]
    hyperparameters: dict[str, Any]
    feature_names: list[str]
    model_path: str | None
    metadata_path: str | None
    training_samples: int | None
    dataset_version: str | None
    description: str | None
    stage: Stage
    is_active: bool
    has_reference_profile: bool
    has_estimator: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class ModelSummary(BaseModel):
    """A registered model: its name, its active version and how many versions it has."""

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    name: str
    description: str | None
    active_version: str | None
    version_count: int
    created_at: datetime
    updated_at: datetime


class StageChangePublic(BaseModel):
    """One recorded change: who moved which version from which stage to which, and when."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    version: str
    action: ChangeAction
    from_stage: Stage | None
    to_stage: Stage
    previous_active_version: str | None
    actor: str
    reason: str | None
    changed_at: datetime


class ModelVersionRegister(ModelVersionBase):
    """A version to register over HTTP: the model's name is in the path.

    A reference dataset is registered through the library or the CLI, which read files.
    """

    actor: str | None = Field(default=None, max_length=200, description="Who registers it.")


class ChangeRequest(BaseModel):
    """Who asks for a promotion or an archive, and why."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = None
    actor: str | None = Field(default=None, max_length=200, description="Who asks.")


class StageChangeRequest(ChangeRequest):
    """A request to move a version to another stage."""

    stage: Stage


class RollbackRequest(ChangeRequest):
    """A request to roll a model back, by default to the version active before this one."""

    to_version: str | None = Field(default=None, max_length=100)


class PromotionResult(BaseModel):
    """The outcome of a promotion or rollback: the version now active and the one it replaced."""

    model_config = ConfigDict(frozen=True)

    active: ModelVersionPublic
    replaced: ModelVersionPublic | None
