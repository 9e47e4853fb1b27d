"""Tables of logged predictions and their hourly rollups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from predledger.store.base import Base, IdType, JSONText, UTCDateTime


class Prediction(Base):
    """One prediction a model made, as logged.

    The primary key is ``(id, created_at)``: ``created_at`` is derived from the UUIDv7 id, so
    the pair is as unique as the id alone, and on PostgreSQL the table is range-partitioned
    by day on ``created_at`` (migration 0003), which needs the partition key in the key.
    """

    __tablename__ = "predictions"

    id: Mapped[str] = mapped_column(IdType, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200), nullable=False)
    model_version: Mapped[str] = mapped_column(String(100), nullable=False)
    prediction_type: Mapped[str] = mapped_column(String(20), nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(200))
    batch_id: Mapped[str | None] = mapped_column(String(200))
    session_id: Mapped[str | None] = mapped_column(String(200))
    dataset_id: Mapped[str | None] = mapped_column(String(200))
    inputs: Mapped[Any | None] = mapped_column(JSONText)
    feature_names: Mapped[Any | None] = mapped_column(JSONText)
    input_hash: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(200))
    score: Mapped[float | None] = mapped_column(Float)
    probabilities: Mapped[Any | None] = mapped_column(JSONText)
    value: Mapped[float | None] = mapped_column(Float)
    interval_low: Mapped[float | None] = mapped_column(Float)
    interval_high: Mapped[float | None] = mapped_column(Float)
    confidence_level: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    error_message: Mapped[str | None] = mapped_column(Text)
    cache_hit: Mapped[bool] = mapped_column(Boolean, nullable=False)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        Index("ix_predictions_model_time", "model_name", "model_version", "created_at"),
        Index("ix_predictions_request_id", "request_id"),
    )


class PredictionRollup(Base):
    """Per model version, hour, label and status: counts and sums of the raw rows."""

    __tablename__ = "prediction_rollups"

    model_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(100), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    label: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cache_hits: Mapped[int] = mapped_column(BigInteger, nullable=False)
    score_count: Mapped[int] = mapped_column(BigInteger, nullable=False)
    score_sum: Mapped[float] = mapped_column(Float, nullable=False)
    value_count: Mapped[int] = mapped_column(BigInteger, nullable=False)
    value_sum: Mapped[float] = mapped_column(Float, nullable=False)
    latency_count: Mapped[int] = mapped_column(BigInteger, nullable=False)
    latency_sum: Mapped[float] = mapped_column(Float, nullable=False)
    latency_max: Mapped[float] = mapped_column(Float, nullable=False)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_prediction_rollups_hour", "hour"),)


class LatencyBucket(Base):
    """The latency sketch: per model version and hour, counts in log-spaced buckets."""

    __tablename__ = "prediction_latency_buckets"

    model_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(100), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, nullable=False)
