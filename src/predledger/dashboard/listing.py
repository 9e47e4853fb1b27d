"""The predictions list, newest first, in the order an index can give at any size.

``predledger.predictions.queries.list_predictions`` orders by ``created_at``; without a model
and version to narrow it to ``ix_predictions_model_time``, the database sorts every matching
row to find the newest fifty. An id is a UUIDv7 whose leading bits are its creation time, so
ordering by id *is* ordering by time (ties broken by id, as there), and the primary key's
index gives that order directly: the newest page costs the same at a thousand rows or ten
million. Time bounds become id bounds too (kept on ``created_at`` as well, so PostgreSQL still
reads only the partitions that hold them).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from predledger.errors import InvalidRecordError
from predledger.predictions.models import Prediction
from predledger.predictions.queries import (
    PredictionFilters,
    created_at_of,
    list_predictions,
    normalise_prediction_id,
    to_public,
)
from predledger.predictions.schemas import PredictionPage


def smallest_id_at(moment: datetime) -> str:
    """The smallest UUIDv7 that can have been made at ``moment`` or later (to the ms)."""
    ms = max(0, int(moment.timestamp() * 1000))
    digits = f"{ms:012x}" + "0" * 20
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def newest_predictions_page(
    session: Session, filters: PredictionFilters, *, limit: int, cursor: str | None
) -> PredictionPage:
    """A page of predictions matching ``filters``, newest first, after ``cursor``.

    The same rows in the same order as ``list_predictions``; a model and version go through
    its index on ``(model_name, model_version, created_at)``, anything else through the
    primary key's.

    Raises:
        InvalidRecordError: the cursor is not one this list handed out.
    """
    if filters.model is not None and filters.version is not None:
        return list_predictions(session, filters, limit=limit, cursor=cursor)
    P = Prediction
    # ``model_name || ''`` keeps the planner off ix_predictions_model_time, whose order is
    # not the id's: with it, the database would sort all of the model's rows for one page.
    conditions = [
        column == wanted
        for column, wanted in (
            (P.model_name.concat(""), filters.model),
            (P.label, filters.label),
            (P.status, filters.status),
        )
        if wanted is not None
    ]
    if filters.since is not None:
        conditions += [P.id >= smallest_id_at(filters.since), P.created_at >= filters.since]
    if filters.until is not None:
        bound = smallest_id_at(filters.until + timedelta(milliseconds=1))
        conditions += [P.id < bound, P.created_at < filters.until]
    if cursor is not None:
        after = normalise_prediction_id(cursor, "cursor")
        if created_at_of(after) is None:
            raise InvalidRecordError("cursor", "is not a cursor this page handed out")
        conditions.append(P.id < after)
    rows = list(
        session.scalars(select(P).where(*conditions).order_by(P.id.desc()).limit(limit + 1))
    )
    items = [to_public(row) for row in rows[:limit]]
    return PredictionPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)
