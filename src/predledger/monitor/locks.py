"""Named locks and leases on the ``monitor_locks`` table (see ``predledger.monitor.models``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from predledger.monitor.models import MonitorLock


def lock_for_write(session: Session, name: str, *, now: datetime | None = None) -> None:
    """Take the write lock called ``name`` for the rest of the session's transaction.

    Call it first in a transaction that reads and then writes: on SQLite the update takes
    the database's write lock at once (waiting on the busy timeout), so no concurrent
    commit can make the later writes fail; on PostgreSQL it queues concurrent callers.
    """
    moment = now or datetime.now(UTC)
    result = session.execute(
        update(MonitorLock).where(MonitorLock.name == name).values(updated_at=moment),
        execution_options={"synchronize_session": False},
    )
    if getattr(result, "rowcount", 0):
        return
    try:
        with session.begin_nested():
            session.add(MonitorLock(name=name, holder=None, expires_at=None, updated_at=moment))
    except IntegrityError:  # a concurrent caller created it first: wait for its lock instead
        session.execute(
            update(MonitorLock).where(MonitorLock.name == name).values(updated_at=moment),
            execution_options={"synchronize_session": False},
        )


def try_lease(
    session: Session, name: str, *, holder: str, ttl: timedelta, now: datetime | None = None
) -> bool:
    """Take or renew the lease ``name`` for ``ttl`` unless another holder's is still valid.

    Args:
        session: the session; commit it to make the lease visible.
        name: the lease's name (one per scheduled task).
        holder: who asks (unique per process).
        ttl: how long the lease lasts.
        now: the current time.

    Returns:
        Whether ``holder`` now holds the lease.
    """
    moment = now or datetime.now(UTC)
    lock_for_write(session, f"lease:{name}", now=moment)
    row = session.get(MonitorLock, f"lease:{name}", populate_existing=True)
    assert row is not None  # lock_for_write created it
    expires = row.expires_at
    if row.holder not in (None, holder) and expires is not None and expires > moment:
        return False
    session.execute(
        update(MonitorLock)
        .where(MonitorLock.name == f"lease:{name}")
        .values(holder=holder, expires_at=moment + ttl, updated_at=moment),
        execution_options={"synchronize_session": False},
    )
    return True
