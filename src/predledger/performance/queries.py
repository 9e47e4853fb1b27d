"""Reads behind performance: a window's predictions joined with their labels, and what to score.

Rows come back as plain columns (``WindowRows``), never ORM objects, because a window may
hold many thousands of predictions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from predledger.feedback.models import Feedback
from predledger.performance.windows import Window
from predledger.predictions.models import Prediction, PredictionRollup


@dataclass(frozen=True)
class WindowRows:
    """One model version's successful predictions in a window, with any labels that arrived.

    Each attribute holds one entry per prediction; ``None`` where the value is absent.
    """

    labels: list[str | None]
    scores: list[float | None]
    probabilities: list[Any]
    values: list[float | None]
    actual_labels: list[str | None]
    actual_values: list[float | None]

    def __len__(self) -> int:
        return len(self.labels)


def load_window_rows(session: Session, *, name: str, version: str, window: Window) -> WindowRows:
    """Read a version's predictions in ``window`` joined with their feedback."""
    query = (
        select(
            Prediction.label,
            Prediction.score,
            Prediction.probabilities,
            Prediction.value,
            Feedback.actual_label,
            Feedback.actual_value,
        )
        .outerjoin(Feedback, Feedback.prediction_id == Prediction.id)
        .where(
            Prediction.model_name == name,
            Prediction.model_version == version,
            Prediction.created_at >= window.start,
            Prediction.created_at < window.end,
            Prediction.status == "success",
        )
    )
    rows = session.execute(query).all()
    columns: list[list[Any]] = [list(c) for c in zip(*rows, strict=True)] if rows else [[]] * 6
    return WindowRows(*columns)


def prediction_hours(
    session: Session, *, since: datetime, until: datetime, name: str | None = None
) -> list[tuple[str, str, datetime]]:
    """``(model, version, hour)`` of every hour in ``[since, until)`` with predictions.

    Read from the hourly rollups, so it costs the same however many predictions there are;
    the hour holding ``since`` is included whole.
    """
    hour = since.replace(minute=0, second=0, microsecond=0)
    query = (
        select(PredictionRollup.model_name, PredictionRollup.model_version, PredictionRollup.hour)
        .distinct()
        .where(PredictionRollup.hour >= hour, PredictionRollup.hour < until)
    )
    if name is not None:
        query = query.where(PredictionRollup.model_name == name)
    return sorted((str(m), str(v), at) for m, v, at in session.execute(query))


def labelled_since(
    session: Session, *, since: datetime, until: datetime
) -> list[tuple[str, str, datetime]]:
    """``(model, version, prediction time)`` of every prediction labelled in ``[since, until)``.

    The performance job uses it to rescore the windows that late labels changed.
    """
    query = (
        select(Prediction.model_name, Prediction.model_version, Prediction.created_at)
        .join(Feedback, Feedback.prediction_id == Prediction.id)
        .where(Feedback.received_at >= since, Feedback.received_at < until)
    )
    return [(str(m), str(v), at) for m, v, at in session.execute(query)]
