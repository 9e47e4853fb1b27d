"""The table of ground-truth labels joined to predictions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from predledger.store.base import Base, IdType, UTCDateTime


class Feedback(Base):
    """The actual outcome of one prediction; a later label replaces an earlier one."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prediction_id: Mapped[str] = mapped_column(IdType, nullable=False, unique=True)
    request_id: Mapped[str | None] = mapped_column(String(200))
    actual_label: Mapped[str | None] = mapped_column(String(200))
    actual_value: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    replaced_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (Index("ix_feedback_received_at", "received_at"),)
