"""Tables of metric time series."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from predledger.store.base import Base, IdType, JSONText, UTCDateTime


class PerformanceMetric(Base):
    """One value of a model's performance metric over a window."""

    __tablename__ = "performance_metrics"

    id: Mapped[str] = mapped_column(IdType, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    model_name: Mapped[str] = mapped_column(String(200), nullable=False)
    model_version: Mapped[str] = mapped_column(String(100), nullable=False)
    metric_name: Mapped[str] = mapped_column(String(200), nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    stage: Mapped[str | None] = mapped_column(String(20))
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dataset_version: Mapped[str | None] = mapped_column(String(100))
    labels: Mapped[Any | None] = mapped_column(JSONText)

    __table_args__ = (
        Index("ix_performance_metrics_series", "model_name", "metric_name", "created_at"),
        Index("ix_performance_metrics_window", "model_name", "model_version", "window_start"),
    )


class SystemMetric(Base):
    """One sample of a system metric (CPU, memory, disk, GPU, queue depth)."""

    __tablename__ = "system_metrics"

    id: Mapped[str] = mapped_column(IdType, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    labels: Mapped[Any | None] = mapped_column(JSONText)

    __table_args__ = (Index("ix_system_metrics_name_time", "name", "created_at"),)
