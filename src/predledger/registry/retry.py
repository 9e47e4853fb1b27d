"""Transactions that are run again when a concurrent writer gets in the way.

Registry changes and stored performance windows are small transactions that may meet
another writer: SQLite's write lock held past the busy timeout, a PostgreSQL deadlock or
serialization failure, or a unique index that a concurrent transaction filled first (two
processes registering the first version of one model). Each is safe to run again from the
start, in a fresh transaction, after a short randomised pause.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from predledger.errors import ConflictError, StoreUnavailableError
from predledger.store.engine import Store

T = TypeVar("T")

# PostgreSQL SQLSTATEs worth another attempt: serialization failure, deadlock, lock timeout.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def is_transient_conflict(exc: BaseException) -> bool:
    """Whether an error is a collision with another writer that a new attempt may clear."""
    if isinstance(exc, StoreUnavailableError) and exc.__cause__ is not None:
        exc = exc.__cause__
    if isinstance(exc, IntegrityError):
        return True
    if not isinstance(exc, DBAPIError) or exc.orig is None:
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in _RETRYABLE_SQLSTATES
    message = str(exc.orig).lower()
    return "database is locked" in message or "database table is locked" in message


def run_in_transaction(
    store: Store,
    work: Callable[[Session], T],
    *,
    what: str,
    attempts: int = 10,
    base_delay: float = 0.01,
) -> T:
    """Run ``work`` in a transaction of its own, again from the start after a collision.

    Args:
        store: the database.
        work: what to do; it must not commit and may be called more than once.
        what: a few words on the work, for the error message.
        attempts: tries at most.
        base_delay: the first pause in seconds; each retry doubles it, with jitter.

    Returns:
        What ``work`` returned in the attempt that committed.

    Raises:
        ConflictError: every attempt collided with another writer.
    """
    for attempt in range(attempts):
        try:
            with store.transaction() as session:
                return work(session)
        except (IntegrityError, StoreUnavailableError) as exc:
            if not is_transient_conflict(exc):
                raise
            if attempt == attempts - 1:
                raise ConflictError(
                    f"could not {what}: other writers kept changing the same rows or held "
                    f"the database's lock ({attempts} attempts); try again"
                ) from exc
        time.sleep(base_delay * (2 ** min(attempt, 6)) * (0.5 + random.random()))
    raise AssertionError("unreachable: the last attempt returns or raises")
