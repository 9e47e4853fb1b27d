"""Models: the registry with stages, offline and live metrics; promote, archive, roll back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from predledger.api.deps import LedgerDep, SessionDep
from predledger.dashboard.forms import run_form
from predledger.dashboard.queries import known_models
from predledger.dashboard.rendering import render
from predledger.metrics.queries import performance_metric_series
from predledger.registry import (
    ModelSummary,
    ModelVersionPublic,
    StageChangePublic,
    archive_model_version,
    list_model_versions,
    list_models,
    list_stage_changes,
    promote_model_version,
    rollback_model,
)

router = APIRouter(prefix="/dashboard")
FormText = Annotated[str | None, Form()]
HEADLINE_METRIC = {"classification": "accuracy", "regression": "rmse"}


@dataclass(frozen=True)
class ModelCard:
    """One registered model as the page shows it."""

    model: ModelSummary
    versions: list[ModelVersionPublic]
    history: list[StageChangePublic]
    metric: str | None
    live: dict[str, float]


def _headline_metric(versions: list[ModelVersionPublic]) -> str | None:
    for version in versions:
        if version.task in HEADLINE_METRIC:
            return HEADLINE_METRIC[version.task]
    return None


def _live_values(session: Session, name: str, metric: str | None) -> dict[str, float]:
    """The latest realised daily value of ``metric`` per version (labels joined so far)."""
    if metric is None:
        return {}
    series = performance_metric_series(
        session, metric_name=metric, model_name=name, kind="realized", window="day", days=30
    )
    return {point.model_version: point.value for point in series}


def model_cards(session: Session) -> list[ModelCard]:
    """Every registered model with its versions, recent stage changes and live metric."""
    cards = []
    for model in list_models(session):
        versions = list_model_versions(session, name=model.name, limit=50)
        metric = _headline_metric(versions)
        cards.append(
            ModelCard(
                model=model,
                versions=versions,
                history=list_stage_changes(session, name=model.name, limit=8),
                metric=metric,
                live=_live_values(session, model.name, metric),
            )
        )
    return cards


@router.get("/models", response_class=HTMLResponse, include_in_schema=False)
def models_page(request: Request, session: SessionDep) -> HTMLResponse:
    """The registry: each model's versions, stages and metrics, with the actions allowed."""
    cards = model_cards(session)
    registered = {card.model.name for card in cards}
    unregistered = {
        name: versions for name, versions in known_models(session).items() if name not in registered
    }
    context = {"cards": cards, "unregistered": unregistered}
    return render(request, "models.html", context, page="models")


@router.post("/models/{name}/versions/{version}/promote", include_in_schema=False)
def promote(
    request: Request,
    ledger: LedgerDep,
    name: str,
    version: str,
    csrf_token: FormText = None,
    actor: FormText = None,
    reason: FormText = None,
) -> Response:
    """Promote a staging version to production (the active version is archived)."""

    def work(who: str) -> str:
        result = promote_model_version(ledger.store, name, version, actor=who, reason=reason)
        replaced = f"; {result.replaced.version} archived" if result.replaced else ""
        return f"{name} {version} is now the active production version{replaced}"

    return run_form(request, csrf=csrf_token, actor=actor, back="/dashboard/models",
                    page="models", work=work)  # fmt: skip


@router.post("/models/{name}/versions/{version}/archive", include_in_schema=False)
def archive(
    request: Request,
    ledger: LedgerDep,
    name: str,
    version: str,
    csrf_token: FormText = None,
    actor: FormText = None,
    reason: FormText = None,
) -> Response:
    """Archive a version that is not the active one."""

    def work(who: str) -> str:
        archive_model_version(ledger.store, name, version, actor=who, reason=reason)
        return f"{name} {version} archived"

    return run_form(request, csrf=csrf_token, actor=actor, back="/dashboard/models",
                    page="models", work=work)  # fmt: skip


@router.post("/models/{name}/rollback", include_in_schema=False)
def rollback(
    request: Request,
    ledger: LedgerDep,
    name: str,
    csrf_token: FormText = None,
    actor: FormText = None,
    reason: FormText = None,
) -> Response:
    """Re-activate the version that was active before the current one."""

    def work(who: str) -> str:
        result = rollback_model(ledger.store, name, actor=who, reason=reason)
        return f"{name} rolled back: {result.active.version} is active again"

    return run_form(request, csrf=csrf_token, actor=actor, back="/dashboard/models",
                    page="models", work=work)  # fmt: skip
