"""Tables of drift monitoring: hourly histograms on the reference bins, and stored reports.

``feature_histograms`` holds, per model version, hour, feature and bin of the version's
reference profile, how many logged values fell in that bin. Bin ``MISSING_BIN`` (-1) counts
the values that were missing (absent, ``None``, NaN, infinite or not a number). The ingest
writer adds to these counts in each batch's own transaction, so a drift report over any
window reads a few hundred rows per hour whatever the number of predictions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from predledger.store.base import Base, JSONText, UTCDateTime

#: The bin index under which a feature's missing values are counted.
MISSING_BIN = -1


class FeatureHistogram(Base):
    """Per model version, hour, feature and reference bin: how many values fell there."""

    __tablename__ = "feature_histograms"

    model_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(100), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    feature: Mapped[str] = mapped_column(String(200), primary_key=True)
    bin: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (Index("ix_feature_histograms_hour", "hour"),)


class DriftReport(Base):
    """One drift report: a model version's window tested against its reference profile.

    ``features`` holds one entry per feature: method, statistic, threshold, p-value,
    verdict, sizes, and the reference and current counts per bin that the charts draw.
    """

    __tablename__ = "drift_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_name: Mapped[str] = mapped_column(String(200), nullable=False)
    model_version: Mapped[str] = mapped_column(String(100), nullable=False)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    mode: Mapped[str] = mapped_column(String(20), nullable=False)
    reference_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    current_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    drift_detected: Mapped[bool] = mapped_column(Boolean, nullable=False)
    drift_score: Mapped[float] = mapped_column(Float, nullable=False)
    drift_share: Mapped[float] = mapped_column(Float, nullable=False)
    n_features: Mapped[int] = mapped_column(Integer, nullable=False)
    n_drifted: Mapped[int] = mapped_column(Integer, nullable=False)
    drifted_features: Mapped[Any] = mapped_column(JSONText, nullable=False)
    features: Mapped[Any] = mapped_column(JSONText, nullable=False)
    report_path: Mapped[str | None] = mapped_column(String(1000))
    created_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_drift_reports_model_time", "model_name", "created_at"),)
