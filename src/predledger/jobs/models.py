"""The table of long-running jobs: batch scoring now; drift, export and backup may follow."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from predledger.store.base import Base, IdType, JSONText, UTCDateTime


class Job(Base):
    """One job: its status (queued, running, succeeded, failed), progress and result."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(IdType, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    dataset_id: Mapped[str | None] = mapped_column(
        IdType, ForeignKey("datasets.id", ondelete="SET NULL")
    )
    model_name: Mapped[str | None] = mapped_column(String(200))
    model_version: Mapped[str | None] = mapped_column(String(100))
    scorer: Mapped[str | None] = mapped_column(String(300))
    batch_id: Mapped[str | None] = mapped_column(String(200))
    total_rows: Mapped[int | None] = mapped_column(BigInteger)
    processed_rows: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    result: Mapped[Any | None] = mapped_column(JSONText)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_jobs_status_time", "status", "created_at"),)
