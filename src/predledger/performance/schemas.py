"""Shapes of computed performance: one model version over one window."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from predledger.performance.windows import Granularity


class WindowPerformance(BaseModel):
    """A model version's performance over one window.

    Attributes:
        realized: metrics over the predictions whose labels have arrived (see
            ``predledger.performance.metric_names`` for the names).
        estimated: metrics expected over all the window's predictions, from the model's own
            probabilities (confidence-based estimation); empty when the version has no
            estimator fitted on a labelled reference.
    """

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    model_name: str
    model_version: str
    granularity: Granularity
    window_start: datetime
    window_end: datetime
    task: str | None
    predictions: int
    labelled: int
    realized: dict[str, float]
    estimated: dict[str, float]


class PerformanceJobResult(BaseModel):
    """What one run of the performance job did."""

    model_config = ConfigDict(frozen=True)

    started_at: datetime
    windows: int
    rows_written: int
    versions: list[str]
