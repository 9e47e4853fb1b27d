"""Deleting old rows in small batches, one short transaction each, so writers keep writing.

SQLite has one writer at a time: each batch takes the write lock (``BEGIN IMMEDIATE``),
deletes at most ``batch_size`` rows and commits, then sleeps about as long as it held the
lock, so the ledger's writer, waiting on its busy timeout, gets the lock in between.
PostgreSQL locks rows, not the table: batches only keep transactions (and the WAL they
produce at once) small.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from predledger.errors import StoreUnavailableError
from predledger.ops.catalog import TimedTable, sqlite_path, to_micros, uuid7_floor
from predledger.store.dialect import dialect_for
from predledger.store.engine import Store

DEFAULT_BATCH_SIZE = 5000
DEFAULT_LOCK_WAIT = 60.0
LOCK_POLL_S = 0.0005

Progress = Callable[[int], None]


@dataclass(frozen=True)
class OlderThan:
    """The rows of a table older than a cutoff, as SQL and parameters for one backend."""

    where: str
    params: dict[str, Any]

    @classmethod
    def build(cls, table: TimedTable, cutoff: datetime, backend: str) -> OlderThan:
        """The condition for ``table`` on ``backend``."""
        micros = to_micros(cutoff)
        params: dict[str, Any] = {"cutoff": dialect_for(backend).timestamp_param(micros)}
        where = f"{table.time_column} < :cutoff"
        if table.uuid7_ids:
            params["bound"] = uuid7_floor(cutoff)
            bound = ":bound" if backend == "sqlite" else "CAST(:bound AS uuid)"
            where = f"id < {bound} AND {where}"
        return cls(where, params)


def count_older(store: Store, relation: str, condition: OlderThan) -> int:
    """How many rows of ``relation`` the condition selects."""
    with store.engine.connect() as connection:
        sql = f"SELECT count(*) FROM {relation} WHERE {condition.where}"
        return int(connection.execute(text(sql), condition.params).scalar_one())


def delete_in_batches(
    store: Store,
    relation: str,
    condition: OlderThan,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    pause: float | None = None,
    progress: Progress | None = None,
    lock_wait: float = DEFAULT_LOCK_WAIT,
) -> int:
    """Delete the rows of ``relation`` the condition selects; return how many went.

    Args:
        store: the database.
        relation: a table, or one partition of a partitioned table.
        condition: which rows.
        batch_size: rows per transaction at most.
        pause: seconds to sleep between batches; default: as long as the last batch took
            on SQLite (the writer gets half the time), nothing on PostgreSQL.
        progress: called with the rows of each batch.
        lock_wait: SQLite: seconds a batch may wait for the write lock before giving up.
    """
    if store.dialect == "sqlite":
        sql = (
            f"DELETE FROM {relation} WHERE rowid IN"
            f" (SELECT rowid FROM {relation} WHERE {condition.where} LIMIT {int(batch_size)})"
        )
    else:
        sql = (
            f"DELETE FROM {relation} WHERE ctid = ANY(ARRAY("
            f"SELECT ctid FROM {relation} WHERE {condition.where} LIMIT {int(batch_size)}))"
        )
    sqlite = _SQLiteBatches(store, lock_wait) if store.dialect == "sqlite" else None
    total = 0
    try:
        while True:
            started = time.monotonic()
            if sqlite is not None:
                deleted = sqlite.run(sql, condition.params)
            else:
                deleted = _run_batch(store, sql, condition.params)
            total += deleted
            if progress is not None and deleted:
                progress(deleted)
            if deleted < batch_size:
                return total
            took = time.monotonic() - started
            wait = pause if pause is not None else _default_pause(store, took)
            if wait > 0:
                time.sleep(wait)
    finally:
        if sqlite is not None:
            sqlite.close()


def _run_batch(store: Store, sql: str, params: dict[str, Any]) -> int:
    try:
        with store.engine.begin() as connection:
            return int(connection.execute(text(sql), params).rowcount)
    except OperationalError as exc:
        raise StoreUnavailableError(store.unavailable_message(exc)) from exc


class _SQLiteBatches:
    """A connection of its own that takes the write lock by polling, not by busy timeout.

    SQLite's busy handler sleeps 1, 2, 5, 10... ms between tries; a ledger writer that is
    never idle frees the lock for well under a millisecond between its batches, so a
    waiting deleter would almost never get in. Polling every half millisecond does.
    """

    def __init__(self, store: Store, lock_wait: float) -> None:
        self.store = store
        self.lock_wait = lock_wait
        self.connection = sqlite3.connect(
            sqlite_path(store), timeout=0, isolation_level=None, check_same_thread=False
        )
        self.connection.execute("PRAGMA synchronous = NORMAL")

    def run(self, sql: str, params: dict[str, Any]) -> int:
        self._lock()
        try:
            deleted = int(self.connection.execute(sql, params).rowcount)
            self.connection.execute("COMMIT")
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        return deleted

    def _lock(self) -> None:
        deadline = time.monotonic() + self.lock_wait
        while True:
            try:
                self.connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise StoreUnavailableError(self.store.unavailable_message(exc)) from exc
                if time.monotonic() > deadline:
                    raise StoreUnavailableError(
                        f"{self.store.describe()} stayed locked by other writers for "
                        f"{self.lock_wait:.0f} s: run the clean-up again later"
                    ) from exc
            time.sleep(LOCK_POLL_S)

    def close(self) -> None:
        self.connection.close()


def _default_pause(store: Store, took: float) -> float:
    return took if store.dialect == "sqlite" else 0.0
