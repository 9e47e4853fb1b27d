"""Tables of API requests and the client sessions they belong to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from predledger.store.base import Base, IdType, UTCDateTime


class ApiRequest(Base):
    """One HTTP request a service answered.

    Keyed and partitioned like ``predictions``: ``(id, created_at)``, daily partitions on
    PostgreSQL.
    """

    __tablename__ = "api_requests"

    id: Mapped[str] = mapped_column(IdType, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(300), nullable=False)
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    response_time_ms: Mapped[float] = mapped_column(Float, nullable=False)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    request_size: Mapped[int | None] = mapped_column(BigInteger)
    response_size: Mapped[int | None] = mapped_column(BigInteger)
    cpu_percent: Mapped[float | None] = mapped_column(Float)
    memory_mb: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    session_id: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_api_requests_created_at", "created_at"),
        Index("ix_api_requests_endpoint", "endpoint", "created_at"),
    )


class UserSession(Base):
    """A client session, seen through the requests that carry its id."""

    __tablename__ = "user_sessions"

    session_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    request_count: Mapped[int] = mapped_column(BigInteger, nullable=False)
