"""Recording ground truth: labels that arrive after the prediction, by id or request id.

The caller owns the transaction; ``record_feedback`` flushes its upsert and never commits.
A second label for the same prediction replaces the first and counts the replacement.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from predledger.feedback.models import Feedback
from predledger.feedback.schemas import FeedbackCreate, FeedbackRecorded, UnknownTarget
from predledger.predictions.models import Prediction
from predledger.predictions.queries import created_at_of

_CHUNK = 500
_FEEDBACK: Table = Feedback.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class _Target:
    """What the outcome is compared with: the stored prediction's id and outputs."""

    prediction_id: str
    request_id: str | None
    label: str | None
    value: float | None


def record_feedback(
    session: Session,
    items: Sequence[FeedbackCreate],
    *,
    received_at: datetime | None = None,
) -> FeedbackRecorded:
    """Store the actual outcomes of predictions, reporting ids that match none.

    Args:
        session: a session in the caller's transaction.
        items: outcomes, each naming a prediction id or a request id.
        received_at: when the outcomes arrived (default now).

    Returns:
        How many predictions were labelled and replaced, and the unknown ids.
    """
    by_id = _targets_by_id(session, [i.prediction_id for i in items if i.prediction_id])
    by_request = _targets_by_request(session, [i.request_id for i in items if i.request_id])
    now = received_at or datetime.now(UTC)
    rows: dict[str, dict[str, Any]] = {}
    unknown: list[UnknownTarget] = []
    for item in items:
        if item.prediction_id is not None:
            target = by_id.get(item.prediction_id)
            targets = [target] if target is not None else []
        else:
            targets = by_request.get(item.request_id or "", [])
        if not targets:
            unknown.append(
                UnknownTarget(prediction_id=item.prediction_id, request_id=item.request_id)
            )
        for target in targets:
            rows[target.prediction_id] = _row(item, target, rows, now)
    if not rows:
        return FeedbackRecorded(recorded=0, replaced=0, prediction_ids=[], unknown=unknown)
    labelled_before = _already_labelled(session, list(rows))
    _upsert(session, list(rows.values()))
    replaced = sum(
        1 for pid, row in rows.items() if pid in labelled_before or row["replaced_count"]
    )
    return FeedbackRecorded(
        recorded=len(rows), replaced=replaced, prediction_ids=list(rows), unknown=unknown
    )


def _row(
    item: FeedbackCreate,
    target: _Target,
    rows: dict[str, dict[str, Any]],
    received_at: datetime,
) -> dict[str, Any]:
    """The feedback row for one prediction; a second label in one call replaces the first."""
    label, value = _outcome(item, target)
    earlier = rows.get(target.prediction_id)
    return {
        "prediction_id": target.prediction_id,
        "request_id": target.request_id,
        "actual_label": label,
        "actual_value": value,
        "source": item.source,
        "received_at": received_at,
        "replaced_count": 0 if earlier is None else earlier["replaced_count"] + 1,
    }


def _outcome(item: FeedbackCreate, target: _Target) -> tuple[str | None, float | None]:
    """The outcome as a label or a value, by what the prediction itself was."""
    if item.actual_label is not None or item.actual_value is not None:
        return item.actual_label, item.actual_value
    actual = item.actual
    regression = target.label is None and target.value is not None
    if isinstance(actual, str):
        if regression:
            try:
                return None, float(actual)
            except ValueError:
                pass
        return actual, None
    assert actual is not None  # the schema requires one of the three
    if target.label is not None:
        return _label_text(actual), None
    return None, float(actual)


def _label_text(number: int | float) -> str:
    """A numeric class as the ledger stores labels: ``1`` and ``1.0`` both become ``"1"``."""
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


def _target_query() -> Any:
    return select(Prediction.id, Prediction.request_id, Prediction.label, Prediction.value)


def _targets_by_id(session: Session, ids: Sequence[str]) -> dict[str, _Target]:
    found: dict[str, _Target] = {}
    for chunk in _chunks(ids):
        # The ids carry their rows' created_at: naming it prunes PostgreSQL's partitions.
        stamps = {stamp for stamp in map(created_at_of, chunk) if stamp is not None}
        if not stamps:
            continue
        query = _target_query().where(
            Prediction.id.in_(chunk),
            Prediction.created_at.in_(sorted(stamps)),
        )
        for row in session.execute(query):
            found[str(row.id)] = _Target(str(row.id), row.request_id, row.label, row.value)
    return found


def _targets_by_request(session: Session, request_ids: Sequence[str]) -> dict[str, list[_Target]]:
    found: dict[str, list[_Target]] = {}
    for chunk in _chunks(request_ids):
        query = _target_query().where(Prediction.request_id.in_(chunk)).order_by(Prediction.id)
        for row in session.execute(query):
            target = _Target(str(row.id), row.request_id, row.label, row.value)
            found.setdefault(row.request_id, []).append(target)
    return found


def _already_labelled(session: Session, prediction_ids: Sequence[str]) -> set[str]:
    labelled: set[str] = set()
    for chunk in _chunks(prediction_ids):
        query = select(Feedback.prediction_id).where(Feedback.prediction_id.in_(chunk))
        labelled.update(str(pid) for pid in session.scalars(query))
    return labelled


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert, or replace the earlier label and count the replacement (both backends)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(_FEEDBACK)
    statement = statement.on_conflict_do_update(
        index_elements=[_FEEDBACK.c.prediction_id],
        set_={
            "actual_label": statement.excluded.actual_label,
            "actual_value": statement.excluded.actual_value,
            "request_id": func.coalesce(statement.excluded.request_id, _FEEDBACK.c.request_id),
            "source": statement.excluded.source,
            "received_at": statement.excluded.received_at,
            "replaced_count": _FEEDBACK.c.replaced_count + statement.excluded.replaced_count + 1,
        },
    )
    session.execute(statement, rows)
