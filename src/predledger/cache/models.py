"""The database tier of the prediction cache: one row per model version and input hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from predledger.store.base import Base, UTCDateTime


class CacheEntry(Base):
    """A cached answer: the model version, the inputs' canonical hash, the encoded value."""

    __tablename__ = "cache_entries"

    model_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(100), primary_key=True)
    input_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_cache_entries_expires_at", "expires_at"),)
