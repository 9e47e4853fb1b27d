"""Shapes of stored metrics as callers see them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MetricKind = Literal["realized", "estimated"]


class PerformanceMetricCreate(BaseModel):
    """One value of a model's performance metric, optionally over a window."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model_name: str = Field(min_length=1, max_length=200)
    model_version: str = Field(min_length=1, max_length=100)
    metric_name: str = Field(min_length=1, max_length=200)
    value: float = Field(allow_inf_nan=False)
    kind: MetricKind = "realized"
    stage: str | None = Field(default=None, max_length=20)
    window_start: datetime | None = None
    window_end: datetime | None = None
    dataset_version: str | None = Field(default=None, max_length=100)
    labels: dict[str, Any] | None = None


class PerformanceMetricPublic(BaseModel):
    """A stored performance metric value."""

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    id: str
    created_at: datetime
    model_name: str
    model_version: str
    metric_name: str
    value: float
    kind: str
    stage: str | None
    window_start: datetime | None
    window_end: datetime | None
    dataset_version: str | None
    labels: dict[str, Any] | None


class SystemMetricPublic(BaseModel):
    """A stored system metric sample."""

    model_config = ConfigDict(frozen=True)

    id: str
    created_at: datetime
    name: str
    value: float
    labels: dict[str, Any] | None
