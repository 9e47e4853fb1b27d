"""The monitoring lock table: one row per name, used two ways.

- As a *lease*: the scheduler of each process takes ``drift``, ``alerts``, ... for one
  interval before running that task, so several service workers run each task once.
- As a *write lock*: a monitoring write starts by updating its row, which on SQLite takes
  the database's write lock before anything is read (a transaction that read first may not
  upgrade once the ingest writer has committed since) and on PostgreSQL queues concurrent
  evaluations of one domain behind each other.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from predledger.store.base import Base, UTCDateTime


class MonitorLock(Base):
    """A named lock or lease: who holds it and until when."""

    __tablename__ = "monitor_locks"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
