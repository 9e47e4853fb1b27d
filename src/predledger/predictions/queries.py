"""Reads of raw prediction rows: one by id, filtered pages, the newest ones.

Aggregates (counts, means, distributions) come from the rollups in
``predledger.analytics.queries``; these functions read the ``predictions`` table itself
and are bounded by a limit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from predledger.errors import InvalidRecordError, NotFoundError
from predledger.feedback.models import Feedback
from predledger.ids import id_created_at
from predledger.predictions.models import Prediction
from predledger.predictions.schemas import FeedbackPublic, PredictionPage, PredictionPublic

MAX_PAGE = 1000


@dataclass(frozen=True)
class PredictionFilters:
    """Conditions on the predictions to read; ``None`` means any."""

    model: str | None = None
    version: str | None = None
    label: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def normalise_prediction_id(value: str, field: str = "prediction_id") -> str:
    """The canonical text of a prediction id (a UUID).

    Raises:
        InvalidRecordError: the value is not a UUID.
    """
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise InvalidRecordError(
            field,
            f"must be a prediction id (a UUID such as the ones predledger returns), got {value!r}",
        ) from None


def created_at_of(prediction_id: str) -> datetime | None:
    """When the ledger made this id (a UUIDv7 carries it); ``None`` for another kind of UUID.

    Every stored prediction has ``created_at`` equal to this, so queries that name it let
    PostgreSQL read only the partition that holds the row.
    """
    if uuid.UUID(prediction_id).version != 7:
        return None
    try:
        return id_created_at(prediction_id)
    except (OverflowError, ValueError):
        return None


def find_prediction(session: Session, prediction_id: str) -> PredictionPublic | None:
    """The prediction with this id and its feedback, or ``None``."""
    key = normalise_prediction_id(prediction_id)
    created_at = created_at_of(key)
    if created_at is None:
        return None
    row = session.execute(
        select(Prediction, Feedback)
        .outerjoin(Feedback, Feedback.prediction_id == Prediction.id)
        .where(Prediction.id == key, Prediction.created_at == created_at)
    ).first()
    if row is None:
        return None
    prediction, feedback = row
    public = to_public(prediction)
    if feedback is not None:
        public.feedback = FeedbackPublic(
            actual_label=feedback.actual_label,
            actual_value=feedback.actual_value,
            received_at=feedback.received_at,
            replaced_count=feedback.replaced_count,
        )
    return public


def get_prediction(session: Session, prediction_id: str) -> PredictionPublic:
    """The prediction with this id.

    Raises:
        NotFoundError: no prediction has this id.
    """
    found = find_prediction(session, prediction_id)
    if found is None:
        raise NotFoundError(f"no prediction has the id {prediction_id}")
    return found


def list_predictions(
    session: Session,
    filters: PredictionFilters,
    *,
    limit: int = 100,
    cursor: str | None = None,
) -> PredictionPage:
    """A page of predictions matching ``filters``, newest first.

    Args:
        session: a read session.
        filters: which predictions.
        limit: the page size (1 to 1000).
        cursor: ``next_cursor`` of the previous page.
    """
    query = _filtered(select(Prediction), filters)
    if cursor is not None:
        after = normalise_prediction_id(cursor, "cursor")
        at = created_at_of(after)
        if at is None:
            raise InvalidRecordError("cursor", "is not a cursor this API returned")
        query = query.where(
            or_(
                Prediction.created_at < at,
                and_(Prediction.created_at == at, Prediction.id < after),
            )
        )
    query = query.order_by(Prediction.created_at.desc(), Prediction.id.desc()).limit(limit + 1)
    rows = list(session.scalars(query))
    items = [to_public(row) for row in rows[:limit]]
    next_cursor = items[-1].id if len(rows) > limit and items else None
    return PredictionPage(items=items, next_cursor=next_cursor)


def newest_predictions(
    session: Session, *, limit: int, model: str | None = None, version: str | None = None
) -> list[PredictionPublic]:
    """The ``limit`` newest predictions, optionally of one model (version)."""
    page = list_predictions(session, PredictionFilters(model=model, version=version), limit=limit)
    return page.items


def _filtered(query: Select[Any], filters: PredictionFilters) -> Select[Any]:
    conditions = []
    if filters.model is not None:
        conditions.append(Prediction.model_name == filters.model)
    if filters.version is not None:
        conditions.append(Prediction.model_version == filters.version)
    if filters.label is not None:
        conditions.append(Prediction.label == filters.label)
    if filters.status is not None:
        conditions.append(Prediction.status == filters.status)
    if filters.since is not None:
        conditions.append(Prediction.created_at >= filters.since)
    if filters.until is not None:
        conditions.append(Prediction.created_at < filters.until)
    return query.where(*conditions) if conditions else query


def to_public(row: Prediction) -> PredictionPublic:
    """A stored row as the API shows it (ORM rows never leave the query layer)."""
    return PredictionPublic(
        id=str(row.id),
        created_at=row.created_at,
        model_name=row.model_name,
        model_version=row.model_version,
        prediction_type=row.prediction_type,
        label=row.label,
        probability=row.score,
        probabilities=row.probabilities,
        value=row.value,
        interval_low=row.interval_low,
        interval_high=row.interval_high,
        confidence_level=row.confidence_level,
        latency_ms=row.latency_ms,
        status=row.status,
        error_message=row.error_message,
        cache_hit=row.cache_hit,
        request_id=row.request_id,
        batch_id=row.batch_id,
        session_id=row.session_id,
        dataset_id=row.dataset_id,
        inputs=row.inputs,
        feature_names=row.feature_names,
    )
