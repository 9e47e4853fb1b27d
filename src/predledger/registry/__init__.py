"""The model registry: versions, their stages, and the one active version of each model.

One-call operations (each its own transaction, retried when concurrent writers collide)::

    register_model_version, promote_model_version, transition_model_version,
    archive_model_version, rollback_model

Reads take a session (``with store.transaction() as session:``)::

    get_active_version, find_active_version, get_model_version, get_model_version_by_id,
    list_model_versions, list_models, list_stage_changes, recent_predictions

Stages: training -> staging -> production -> archived. Promoting a staging version makes it
the active production version and archives the one it replaces; a rollback re-activates the
version that was active before. Every change is recorded with who, when, from and to.
"""

from predledger.registry.operations import (
    archive_model_version,
    create_model_version,
    default_actor,
    promote_model_version,
    register_model_version,
    rollback_model,
    transition_model_version,
)
from predledger.registry.predictions import log_prediction, recent_predictions
from predledger.registry.queries import (
    find_active_version,
    find_estimator,
    find_model_version,
    find_reference_profile,
    get_active_version,
    get_model_version,
    get_model_version_by_id,
    list_active_versions,
    list_model_versions,
    list_models,
    list_stage_changes,
)
from predledger.registry.reference import ReferenceArtifacts, ReferenceDataset
from predledger.registry.schemas import (
    ALLOWED_TRANSITIONS,
    STAGES,
    ChangeRequest,
    ModelSummary,
    ModelVersionCreate,
    ModelVersionPublic,
    ModelVersionRegister,
    PromotionResult,
    RollbackRequest,
    Stage,
    StageChangePublic,
    StageChangeRequest,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "STAGES",
    "ChangeRequest",
    "ModelSummary",
    "ModelVersionCreate",
    "ModelVersionPublic",
    "ModelVersionRegister",
    "PromotionResult",
    "ReferenceArtifacts",
    "ReferenceDataset",
    "RollbackRequest",
    "Stage",
    "StageChangePublic",
    "StageChangeRequest",
    "archive_model_version",
    "create_model_version",
    "default_actor",
    "find_active_version",
    "find_estimator",
    "find_model_version",
    "find_reference_profile",
    "get_active_version",
    "get_model_version",
    "get_model_version_by_id",
    "list_active_versions",
    "list_model_versions",
    "list_models",
    "list_stage_changes",
    "log_prediction",
    "promote_model_version",
    "recent_predictions",
    "register_model_version",
    "rollback_model",
    "transition_model_version",
]
