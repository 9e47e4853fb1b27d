"""``/v1/models``: the registry (versions, stages, promotion, rollback) and model performance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query

from predledger.api.deps import LedgerDep, SessionDep
from predledger.auth.dependencies import PrincipalDep, acting_as
from predledger.errors import InvalidRecordError
from predledger.metrics.queries import performance_metric_series
from predledger.metrics.schemas import PerformanceMetricPublic
from predledger.performance.schemas import WindowPerformance
from predledger.performance.service import compute_model_performance, record_model_performance
from predledger.performance.windows import Granularity
from predledger.registry import operations, queries
from predledger.registry.schemas import (
    ChangeRequest,
    ModelSummary,
    ModelVersionCreate,
    ModelVersionPublic,
    ModelVersionRegister,
    PromotionResult,
    RollbackRequest,
    StageChangePublic,
    StageChangeRequest,
)

router = APIRouter(prefix="/v1/models", tags=["models"])

ModelName = Annotated[str, Path(min_length=1, max_length=200, description="The model's name.")]
Version = Annotated[str, Path(min_length=1, max_length=100, description="The version string.")]
API_ACTOR = "api"
_DEFAULT_RANGE = {"hour": timedelta(hours=24), "day": timedelta(days=7)}


@router.get("", summary="Every registered model with its active version")
def read_models(session: SessionDep) -> list[ModelSummary]:
    """The registered models, by name."""
    return queries.list_models(session)


@router.post(
    "/{name}/versions",
    status_code=201,
    summary="Register a version",
    responses={409: {"description": "The version is already registered."}},
)
def register_version(
    ledger: LedgerDep, principal: PrincipalDep, name: ModelName, body: ModelVersionRegister
) -> ModelVersionPublic:
    """Register a version of the model (``stage: production`` also makes it the active one)."""
    fields = body.model_dump(exclude={"actor"})
    data = ModelVersionCreate(name=name, **fields)
    actor = acting_as(principal, body.actor) or API_ACTOR
    return operations.create_model_version(ledger.store, data, actor=actor)


@router.get("/{name}/versions", summary="A model's versions, newest first")
def read_versions(
    session: SessionDep,
    name: ModelName,
    stage: Annotated[str | None, Query(description="Only versions in this stage.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ModelVersionPublic]:
    """The model's versions (404 if the model is not registered)."""
    queries.require_model(session, name)
    return queries.list_model_versions(session, name=name, stage=stage, limit=limit)


@router.get(
    "/{name}/versions/{version}",
    summary="One version",
    responses={404: {"description": "No such model or version."}},
)
def read_version(session: SessionDep, name: ModelName, version: Version) -> ModelVersionPublic:
    """The version with everything it was registered with (but its reference data)."""
    return queries.get_model_version(session, name, version)


@router.get(
    "/{name}/active",
    summary="The active version",
    responses={404: {"description": "No such model, or no version of it is active."}},
)
def read_active(session: SessionDep, name: ModelName) -> ModelVersionPublic:
    """The version in production now."""
    return queries.get_active_version(session, name)


@router.post(
    "/{name}/versions/{version}/stage",
    summary="Move a version to another stage",
    responses={409: {"description": "The transition is not allowed; the answer says which are."}},
)
def change_stage(
    ledger: LedgerDep,
    principal: PrincipalDep,
    name: ModelName,
    version: Version,
    body: StageChangeRequest,
) -> ModelVersionPublic:
    """Move the version; to ``production`` promotes it."""
    return operations.transition_model_version(
        ledger.store,
        name,
        version,
        body.stage,
        actor=acting_as(principal, body.actor) or API_ACTOR,
        reason=body.reason,
    )


@router.post(
    "/{name}/versions/{version}/promote",
    summary="Make a staging version the active production version",
    responses={409: {"description": "The version is not in staging."}},
)
def promote(
    ledger: LedgerDep,
    principal: PrincipalDep,
    name: ModelName,
    version: Version,
    body: ChangeRequest | None = None,
) -> PromotionResult:
    """Promote the version; the version it replaces is archived."""
    request = body or ChangeRequest()
    return operations.promote_model_version(
        ledger.store,
        name,
        version,
        actor=acting_as(principal, request.actor) or API_ACTOR,
        reason=request.reason,
    )


@router.post(
    "/{name}/versions/{version}/archive",
    summary="Archive a version",
    responses={409: {"description": "The version is the active one."}},
)
def archive(
    ledger: LedgerDep,
    principal: PrincipalDep,
    name: ModelName,
    version: Version,
    body: ChangeRequest | None = None,
) -> ModelVersionPublic:
    """Archive a version that is not active."""
    request = body or ChangeRequest()
    return operations.archive_model_version(
        ledger.store,
        name,
        version,
        actor=acting_as(principal, request.actor) or API_ACTOR,
        reason=request.reason,
    )


@router.post(
    "/{name}/rollback",
    summary="Re-activate the version that was active before",
    responses={409: {"description": "There is nothing to roll back to."}},
)
def rollback(
    ledger: LedgerDep, principal: PrincipalDep, name: ModelName, body: RollbackRequest | None = None
) -> PromotionResult:
    """Roll back to the previous active version, or to ``to_version``."""
    request = body or RollbackRequest()
    return operations.rollback_model(
        ledger.store,
        name,
        to_version=request.to_version,
        actor=acting_as(principal, request.actor) or API_ACTOR,
        reason=request.reason,
    )


@router.get("/{name}/history", summary="Every stage change of a model, newest first")
def read_history(
    session: SessionDep,
    name: ModelName,
    version: Annotated[str | None, Query(description="Only this version's changes.")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[StageChangePublic]:
    """Who changed which version from which stage to which, and when."""
    queries.require_model(session, name)
    return queries.list_stage_changes(session, name=name, version=version, limit=limit)


Window = Annotated[
    Granularity,
    Query(description="`hour` or `day` windows over the range, or one `custom` window."),
]
Since = Annotated[
    datetime | None,
    Query(description="Start (ISO 8601); default a day back for hours, a week for days."),
]
Until = Annotated[datetime | None, Query(description="End, excluded (ISO 8601); default now.")]
VersionFilter = Annotated[str | None, Query(description="Only this version.")]


def _range(
    window: Granularity, since: datetime | None, until: datetime | None
) -> tuple[datetime, datetime]:
    end = until or datetime.now(UTC)
    if since is not None:
        return since, end
    if window == "custom":
        raise InvalidRecordError("since", "is required with window=custom")
    return end - _DEFAULT_RANGE[window], end


@router.get("/{name}/performance", summary="Realised and estimated performance per window")
def read_performance(
    session: SessionDep,
    name: ModelName,
    window: Window = "hour",
    since: Since = None,
    until: Until = None,
    version: VersionFilter = None,
) -> list[WindowPerformance]:
    """Scored now from the ledger: labels that arrived a moment ago count."""
    start, end = _range(window, since, until)
    return compute_model_performance(
        session, name=name, granularity=window, since=start, until=end, version=version
    )


@router.post("/{name}/performance", summary="Score windows now and store the results")
def store_performance(
    ledger: LedgerDep,
    name: ModelName,
    window: Window = "hour",
    since: Since = None,
    until: Until = None,
    version: VersionFilter = None,
) -> list[WindowPerformance]:
    """Like the GET, and the results are stored as ``performance_metrics`` rows."""
    start, end = _range(window, since, until)
    return record_model_performance(
        ledger.store, name=name, granularity=window, since=start, until=end, version=version
    )


@router.get("/{name}/performance/series", summary="A stored performance metric over time")
def read_performance_series(
    session: SessionDep,
    name: ModelName,
    metric: Annotated[str, Query(description="e.g. accuracy, f1_macro, estimated_accuracy.")],
    kind: Annotated[str | None, Query(description="realized or estimated.")] = None,
    window: Annotated[str | None, Query(description="Only hour, day or custom windows.")] = None,
    days: Annotated[float, Query(gt=0, le=3660, description="How far back.")] = 7,
    version: VersionFilter = None,
) -> list[PerformanceMetricPublic]:
    """The stored values of one metric, oldest first."""
    return performance_metric_series(
        session,
        metric_name=metric,
        model_name=name,
        model_version=version,
        kind=kind,
        window=window,
        days=days,
    )
