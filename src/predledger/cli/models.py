"""``predledger models ...``: register versions, move them between stages, roll back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.table import Table

from predledger.cli.db import DatabaseUrl
from predledger.cli.output import console, friendly_errors
from predledger.errors import InvalidRecordError
from predledger.registry import operations, queries
from predledger.registry.reference import ReferenceDataset
from predledger.registry.schemas import ModelVersionPublic, PromotionResult, Stage, Task
from predledger.store.engine import Store
from predledger.store.migrate import ensure_schema

app = typer.Typer(
    help="The model registry: versions, stages, promotion, rollback.", no_args_is_help=True
)

Actor = Annotated[str | None, typer.Option(help="Who makes the change (default: your login name).")]
Reason = Annotated[str | None, typer.Option(help="Why, recorded with the change.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Name = Annotated[str, typer.Argument(help="The model's name.")]
VersionArg = Annotated[str, typer.Argument(help="The version string.")]


def _store(database_url: str | None) -> Store:
    """The database, its schema checked (and created if it is empty)."""
    store = Store(database_url)
    ensure_schema(store)
    return store


def _pairs(option: str, items: list[str] | None) -> dict[str, Any]:
    """``key=value`` options as a dict; values that read as JSON (numbers, true) are decoded."""
    parsed: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InvalidRecordError(option, f"expects key=value, got {item!r}")
        try:
            parsed[key] = json.loads(raw)
        except ValueError:
            parsed[key] = raw
    return parsed


def _print(result: BaseModel | list[Any], as_json: bool) -> bool:
    if as_json:
        items = result if isinstance(result, list) else [result]
        data = [item.model_dump(mode="json") for item in items]
        console.print_json(json.dumps(data if isinstance(result, list) else data[0]))
    return as_json


def _version_line(version: ModelVersionPublic) -> str:
    active = " (active)" if version.is_active else ""
    return f"{version.name} {version.version}: {version.stage}{active}"


@app.command()
@friendly_errors
def register(
    name: Name,
    version: VersionArg,
    algorithm: Annotated[str | None, typer.Option(help="e.g. RandomForest.")] = None,
    metric: Annotated[list[str] | None, typer.Option(help="Offline metric, name=value.")] = None,
    param: Annotated[list[str] | None, typer.Option(help="Hyperparameter, name=value.")] = None,
    feature: Annotated[list[str] | None, typer.Option(help="A feature name, in order.")] = None,
    model_path: Annotated[str | None, typer.Option(help="Where the model file is.")] = None,
    metadata_path: Annotated[str | None, typer.Option(help="Where its metadata is.")] = None,
    training_samples: Annotated[int | None, typer.Option(help="Training rows.")] = None,
    dataset_version: Annotated[str | None, typer.Option(help="Training data version.")] = None,
    description: Annotated[str | None, typer.Option(help="Free text.")] = None,
    task: Annotated[Task | None, typer.Option(help="classification or regression.")] = None,
    class_: Annotated[
        list[str] | None, typer.Option("--class", help="A class, in probability order.")
    ] = None,
    stage: Annotated[Stage, typer.Option(help="Initial stage.")] = "training",
    reference: Annotated[
        Path | None, typer.Option(help="Reference dataset, .csv or .parquet.", exists=True)
    ] = None,
    target: Annotated[str | None, typer.Option(help="The reference's label column.")] = None,
    probability: Annotated[
        list[str] | None, typer.Option(help="class=column of the reference's probabilities.")
    ] = None,
    positive_class: Annotated[str | None, typer.Option(help="A binary model's positive.")] = None,
    actor: Actor = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Register VERSION of model NAME, with a reference dataset's profile when given one."""
    spec = None
    if reference is not None:
        probabilities = {k: str(v) for k, v in _pairs("--probability", probability).items()}
        spec = ReferenceDataset(
            reference, target=target, probabilities=probabilities or None,
            positive_class=positive_class, features=feature or None,
        )  # fmt: skip
    registered = operations.register_model_version(
        _store(database_url), name=name, version=version, algorithm=algorithm,
        metrics=_pairs("--metric", metric), hyperparameters=_pairs("--param", param),
        feature_names=feature or [], model_path=model_path, metadata_path=metadata_path,
        training_samples=training_samples, dataset_version=dataset_version,
        description=description, task=task, classes=class_, stage=stage, reference=spec,
        actor=actor,
    )  # fmt: skip
    if not _print(registered, as_json):
        extras = [
            "reference profile" if registered.has_reference_profile else "",
            "confidence estimator" if registered.has_estimator else "",
        ]
        kept = ", ".join(e for e in extras if e)
        console.print(f"registered {_version_line(registered)}{f' with {kept}' if kept else ''}")


@app.command("list")
@friendly_errors
def list_(
    name: Annotated[str | None, typer.Argument(help="Only this model's versions.")] = None,
    stage: Annotated[Stage | None, typer.Option(help="Only versions in this stage.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many versions.")] = 100,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """List models (or NAME's versions, newest first)."""
    with _store(database_url).transaction() as session:
        if name is None and stage is None:
            models = queries.list_models(session)
            versions = None
        else:
            if name is not None:
                queries.require_model(session, name)
            versions = queries.list_model_versions(session, name=name, stage=stage, limit=limit)
    if versions is None:
        if not _print(models, as_json):
            table = Table("model", "active version", "versions", "updated")
            for model in models:
                updated = f"{model.updated_at:%Y-%m-%d %H:%M}"
                table.add_row(model.name, model.active_version or "-", str(model.version_count),
                              updated)  # fmt: skip
            console.print(table)
        return
    if not _print(versions, as_json):
        _versions_table(versions)


def _versions_table(versions: list[ModelVersionPublic]) -> None:
    table = Table("id", "model", "version", "stage", "active", "algorithm", "created", "by")
    for v in versions:
        table.add_row(
            str(v.id), v.name, v.version, v.stage, "yes" if v.is_active else "",
            v.algorithm or "", f"{v.created_at:%Y-%m-%d %H:%M}", v.created_by or "",
        )  # fmt: skip
    console.print(table)


@app.command()
@friendly_errors
def show(
    name: Name,
    version: Annotated[str | None, typer.Argument(help="Default: the active version.")] = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Show a version (by default the active one) and its stage history."""
    with _store(database_url).transaction() as session:
        found = (
            queries.get_model_version(session, name, version)
            if version is not None
            else queries.get_active_version(session, name)
        )
        history = queries.list_stage_changes(session, name=name, version=found.version)
    if _print(found, as_json):
        return
    for field, value in found.model_dump().items():
        console.print(f"[bold]{field}[/]: {value}", highlight=False)
    table = Table("when", "action", "from", "to", "who", "reason")
    for change in history:
        table.add_row(
            f"{change.changed_at:%Y-%m-%d %H:%M:%S}", change.action, change.from_stage or "-",
            change.to_stage, change.actor, change.reason or "",
        )  # fmt: skip
    console.print(table)


def _print_promotion(result: PromotionResult, as_json: bool) -> None:
    if _print(result, as_json):
        return
    replaced = f" (replaces {result.replaced.version}, now archived)" if result.replaced else ""
    console.print(f"active: {_version_line(result.active)}{replaced}")


@app.command()
@friendly_errors
def promote(
    name: Name,
    version: VersionArg,
    stage: Annotated[
        Stage, typer.Option(help="Target stage: production (default) makes it active.")
    ] = "production",
    reason: Reason = None,
    actor: Actor = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Promote VERSION to production (the active version), or move it to --stage."""
    store = _store(database_url)
    if stage == "production":
        _print_promotion(
            operations.promote_model_version(store, name, version, actor=actor, reason=reason),
            as_json,
        )
        return
    moved = operations.transition_model_version(
        store, name, version, stage, actor=actor, reason=reason
    )
    if not _print(moved, as_json):
        console.print(f"moved {_version_line(moved)}")


@app.command()
@friendly_errors
def archive(
    name: Name,
    version: VersionArg,
    reason: Reason = None,
    actor: Actor = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Archive VERSION (not the active one: promote another or roll back first)."""
    archived = operations.archive_model_version(
        _store(database_url), name, version, actor=actor, reason=reason
    )
    if not _print(archived, as_json):
        console.print(f"archived {_version_line(archived)}")


@app.command()
@friendly_errors
def rollback(
    name: Name,
    to: Annotated[str | None, typer.Option(help="The version to return to.")] = None,
    reason: Reason = None,
    actor: Actor = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Re-activate the version that was active before the current one (or --to VERSION)."""
    result = operations.rollback_model(
        _store(database_url), name, to_version=to, actor=actor, reason=reason
    )
    _print_promotion(result, as_json)
