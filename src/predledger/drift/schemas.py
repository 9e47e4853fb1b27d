"""Shapes of drift reports: what is asked for, and what is stored and returned."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MethodName = Literal["ks", "chisquare", "wasserstein", "jensenshannon", "psi"]
ModeName = Literal["histogram", "exact"]


class DriftOverrideIn(BaseModel):
    """A feature's method and/or threshold instead of the defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: MethodName | None = None
    threshold: float | None = Field(default=None, ge=0)


class DriftReportCreate(BaseModel):
    """A drift report to compute: which model version, which window, how.

    Attributes:
        model: the model's name.
        version: the version (default: the active one).
        start: the window's start (default: ``end`` minus ``hours``).
        end: the window's end (default: now).
        hours: the window's length when ``start`` is not given.
        mode: ``histogram`` (from the hourly histograms, whole hours, any window size at
            the same cost) or ``exact`` (the window's raw rows).
        overrides: per-feature method and/or threshold.
        drift_share: the dataset drifts when at least this share of features drifted.
        actor: who asks (recorded with the report).
        note: free text kept with the report.
    """

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: str = Field(min_length=1, max_length=200)
    version: str | None = Field(default=None, max_length=100)
    start: datetime | None = None
    end: datetime | None = None
    hours: float = Field(default=24.0, gt=0, le=24 * 366)
    mode: ModeName = "histogram"
    overrides: dict[str, DriftOverrideIn] = Field(default_factory=dict)
    drift_share: float = Field(default=0.5, gt=0, le=1)
    actor: str | None = Field(default=None, max_length=200)
    note: str | None = None


class BinChart(BaseModel):
    """Reference and current counts per bin (or category), what a report's chart draws."""

    model_config = ConfigDict(frozen=True)

    labels: list[str]
    reference: list[int]
    current: list[int]


class FeatureDriftPublic(BaseModel):
    """One feature's verdict in a report."""

    model_config = ConfigDict(frozen=True)

    feature: str
    kind: Literal["numeric", "categorical"]
    method: MethodName
    threshold: float
    statistic: float | None
    p_value: float | None
    drifted: bool
    reference_size: int
    current_size: int
    current_missing: int
    chart: BinChart | None = None


class DriftReportPublic(BaseModel):
    """A stored drift report."""

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    id: int
    model_name: str
    model_version: str
    window_start: datetime
    window_end: datetime
    mode: ModeName
    reference_size: int
    current_size: int
    drift_detected: bool
    drift_score: float
    drift_share: float
    n_features: int
    n_drifted: int
    drifted_features: list[str]
    features: list[FeatureDriftPublic]
    report_path: str | None
    created_by: str | None
    note: str | None
    duration_ms: float | None
    created_at: datetime
