"""Writes to the registry: register versions, move them between stages, switch the active one.

Every function takes the caller's session and never commits. Each starts by writing the
model's ``registered_models`` row: on PostgreSQL that row lock queues concurrent changes of
one model behind each other, and on SQLite a transaction whose first statement writes takes
the database's write lock at once (waiting on the busy timeout), as ``BEGIN IMMEDIATE``
would. A change then reads the current state only after it holds the lock, so two promotions
never both see the same active version. The old active version is switched off before the
new one is switched on, in one transaction: readers see either the old or the new one,
never none.

Run these in a transaction of their own (``predledger.registry.operations`` does, and
retries the rare conflicts); a session that has already read on SQLite may find that
another writer moved on since, and fail with 'database is locked'.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from predledger.errors import ConflictError
from predledger.registry.models import ModelStageChange, ModelVersion, RegisteredModel
from predledger.registry.queries import active_row, require_model, to_public, version_row
from predledger.registry.schemas import (
    ALLOWED_TRANSITIONS,
    ChangeAction,
    ModelVersionCreate,
    ModelVersionPublic,
    PromotionResult,
    Stage,
)


def create_model_version(
    session: Session, data: ModelVersionCreate, *, actor: str, now: datetime | None = None
) -> ModelVersionPublic:
    """Register a new version; registered straight into production it becomes the active one.

    Raises:
        ConflictError: the model already has this version (versions are immutable), or the
            requested initial stage is ``archived``.
    """
    exists = lock_model(session, data.name, now=datetime.now(UTC))
    now = now or datetime.now(UTC)  # read once the lock is held: stamps follow the lock order
    if not exists:
        session.add(
            RegisteredModel(name=data.name, description=None, created_at=now, updated_at=now)
        )
        session.flush()
    taken = session.scalar(
        select(ModelVersion.id).where(
            ModelVersion.name == data.name, ModelVersion.version == data.version
        )
    )
    if taken is not None:
        raise ConflictError(
            f"model {data.name!r} already has a version {data.version!r}: versions are "
            "immutable, so register the new one under another version string"
        )
    if data.stage == "archived":
        raise ConflictError("a new version cannot start archived: register it in training")
    replaced = None
    if data.stage == "production":
        replaced = _switch_off_active(session, data.name, data.version, actor=actor, now=now)
    fields = data.model_dump(exclude={"stage"})
    row = ModelVersion(
        **fields,
        stage=data.stage,
        is_active=data.stage == "production",
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    _record(session, row, "register", None, actor=actor, now=now, previous=replaced, reason=None)
    return to_public(row)


def lock_model(session: Session, name: str, *, now: datetime) -> bool:
    """Lock a model's row for the rest of the transaction; ``False`` when there is no such model.

    This is the first statement of every registry write, which is what makes it take
    SQLite's write lock before anything is read.
    """
    result = session.execute(
        update(RegisteredModel).where(RegisteredModel.name == name).values(updated_at=now),
        execution_options={"synchronize_session": False},
    )
    return bool(getattr(result, "rowcount", 0))


def _lock_existing(session: Session, name: str, now: datetime | None) -> datetime:
    """Lock an existing model; return ``now``, or the time once the lock is held."""
    if not lock_model(session, name, now=datetime.now(UTC)):
        require_model(session, name)
    return now or datetime.now(UTC)


def transition_stage(
    session: Session,
    *,
    name: str,
    version: str,
    stage: Stage,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> ModelVersionPublic:
    """Move a version to another stage; moving it to production promotes it.

    Raises:
        NotFoundError: the model or version is not registered.
        ConflictError: the transition is not allowed; the message names the allowed ones.
    """
    if stage == "production":
        return promote_version(
            session, name=name, version=version, actor=actor, reason=reason, now=now
        ).active
    now = _lock_existing(session, name, now)
    row = version_row(session, name, version)
    if row.stage == stage:
        return to_public(row)
    allowed = ALLOWED_TRANSITIONS[row.stage]
    if stage not in allowed:
        raise ConflictError(_forbidden_message(row, stage))
    from_stage = row.stage
    row.stage = stage
    row.updated_at = now
    session.flush()
    _record(session, row, "transition", from_stage, actor=actor, now=now, reason=reason)
    return to_public(row)


def _forbidden_message(row: ModelVersion, stage: str) -> str:
    where = f"version {row.version!r} of {row.name!r} is in {row.stage}"
    if row.stage == "production":
        return (
            f"{where} and active: it leaves production only when another version replaces it; "
            f"promote another version (`predledger models promote {row.name} VERSION`) or "
            f"roll back (`predledger models rollback {row.name}`)"
        )
    allowed = ", ".join(ALLOWED_TRANSITIONS[row.stage])
    hint = (
        f"; move it to staging first (`predledger models promote {row.name} {row.version} "
        "--stage staging`)"
        if stage == "production" and "staging" in ALLOWED_TRANSITIONS[row.stage]
        else ""
    )
    return f"{where}, which can move to {allowed} but not to {stage}{hint}"


def promote_version(
    session: Session,
    *,
    name: str,
    version: str,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> PromotionResult:
    """Make a staging version the production one: it becomes active, the old one is archived.

    Promoting the version that is already active changes nothing.

    Raises:
        NotFoundError: the model or version is not registered.
        ConflictError: the version is not in staging.
    """
    now = _lock_existing(session, name, now)
    row = version_row(session, name, version)
    if row.is_active:
        return PromotionResult(active=to_public(row), replaced=None)
    if "production" not in ALLOWED_TRANSITIONS[row.stage]:
        raise ConflictError(_forbidden_message(row, "production"))
    return _activate(session, row, "promote", actor=actor, reason=reason, now=now)


def rollback_model(
    session: Session,
    *,
    name: str,
    actor: str,
    to_version: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> PromotionResult:
    """Re-activate the version that was active before the current one (or ``to_version``).

    Rolling back twice returns to where it started, as ``kubectl rollout undo`` does.

    Raises:
        NotFoundError: the model or version is not registered.
        ConflictError: there is nothing to roll back to, or ``to_version`` was never in
            production.
    """
    now = _lock_existing(session, name, now)
    current = active_row(session, name)
    target_version = to_version or _previous_active(session, name, current)
    target = version_row(session, name, target_version)
    if current is not None and target.id == current.id:
        return PromotionResult(active=to_public(target), replaced=None)
    if not _was_in_production(session, target):
        raise ConflictError(
            f"version {target.version!r} of {name!r} was never in production, so it cannot be "
            f"rolled back to: promote it instead (`predledger models promote {name} "
            f"{target.version}`)"
        )
    return _activate(session, target, "rollback", actor=actor, reason=reason, now=now)


def _previous_active(session: Session, name: str, current: ModelVersion | None) -> str:
    if current is None:
        raise ConflictError(
            f"model {name!r} has no active version to roll back from: promote one, or name "
            "the version to roll back to"
        )
    previous = session.scalar(
        select(ModelStageChange.previous_active_version)
        .where(
            ModelStageChange.model_version_id == current.id,
            ModelStageChange.to_stage == "production",
        )
        .order_by(ModelStageChange.id.desc())
        .limit(1)
    )
    if previous is None:
        raise ConflictError(
            f"version {current.version!r} of {name!r} did not replace another active version, "
            "so there is nothing to roll back to; name the version with --to"
        )
    return previous


def _was_in_production(session: Session, row: ModelVersion) -> bool:
    return (
        session.scalar(
            select(ModelStageChange.id)
            .where(
                ModelStageChange.model_version_id == row.id,
                ModelStageChange.to_stage == "production",
            )
            .limit(1)
        )
        is not None
    )


def _activate(
    session: Session,
    row: ModelVersion,
    action: ChangeAction,
    *,
    actor: str,
    reason: str | None,
    now: datetime,
) -> PromotionResult:
    replaced = _switch_off_active(session, row.name, row.version, actor=actor, now=now)
    from_stage = row.stage
    row.stage = "production"
    row.is_active = True
    row.updated_at = now
    session.flush()
    _record(
        session, row, action, from_stage, actor=actor, now=now, previous=replaced, reason=reason
    )
    return PromotionResult(
        active=to_public(row), replaced=None if replaced is None else to_public(replaced)
    )


def _switch_off_active(
    session: Session, name: str, by_version: str, *, actor: str, now: datetime
) -> ModelVersion | None:
    """Archive the active version, flushed before anything else is switched on.

    The unique index allows one active row per model at every statement, so the old row
    must be switched off in an earlier statement than the new one is switched on.
    """
    current = active_row(session, name)
    if current is None:
        return None
    current.is_active = False
    current.stage = "archived"
    current.updated_at = now
    session.flush()
    _record(
        session,
        current,
        "replace",
        "production",
        actor=actor,
        now=now,
        reason=f"replaced by version {by_version}",
    )
    return current


def _record(
    session: Session,
    row: ModelVersion,
    action: ChangeAction,
    from_stage: str | None,
    *,
    actor: str,
    now: datetime,
    reason: str | None,
    previous: ModelVersion | None = None,
) -> None:
    session.add(
        ModelStageChange(
            model_version_id=row.id,
            name=row.name,
            version=row.version,
            action=action,
            from_stage=from_stage,
            to_stage=row.stage,
            previous_active_version=None if previous is None else previous.version,
            actor=actor,
            reason=reason,
            changed_at=now,
        )
    )
    session.flush()
