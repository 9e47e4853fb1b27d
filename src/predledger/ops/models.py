"""The table of operations run on the database: backups, restores, clean-ups, partitions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from predledger.store.base import Base, JSONText, UTCDateTime


class OpsEvent(Base):
    """One finished operation: what ran, when, how it ended and what it did.

    ``predledger status`` reads the last backup and the last clean-up from here.
    """

    __tablename__ = "ops_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[Any | None] = mapped_column(JSONText)

    __table_args__ = (Index("ix_ops_events_kind_time", "kind", "finished_at"),)
