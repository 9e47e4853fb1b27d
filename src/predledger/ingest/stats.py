"""The ledger's counters, shared by ``log()`` callers and the writer (thread or process)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LedgerStats:
    """A snapshot of what the ledger has done.

    Attributes:
        accepted: records ``log()`` accepted (and returned an id for).
        written: records committed to the database, replays included.
        replayed: records recovered from the journals of processes that died.
        retried: failed batch attempts that were retried.
        dropped: records refused because the journal or queue was full (``on_full="drop"``).
        rejected: records the database refused outright, kept in ``rejected.jsonl``.
        corrupt: unreadable journal lines skipped during replay (torn last writes).
        queue_depth: accepted records not yet committed.
        journal_bytes: bytes in this process's journal segments.
        last_error: the most recent write error, or ``None`` once a batch succeeds.
        last_error_at: when it happened (Unix time).
        backend: ``"sqlite"`` or ``"postgresql"``.
    """

    accepted: int
    written: int
    replayed: int
    retried: int
    dropped: int
    rejected: int
    corrupt: int
    queue_depth: int
    journal_bytes: int
    last_error: str | None
    last_error_at: float | None
    backend: str


class Counters:
    """Mutable counters behind a lock; ``snapshot`` makes a ``LedgerStats``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.committed_cond = threading.Condition(self.lock)
        self.accepted = 0
        self.written = 0
        self.own_done = 0
        self.replayed = 0
        self.retried = 0
        self.dropped = 0
        self.rejected = 0
        self.corrupt = 0
        self.last_error: str | None = None
        self.last_error_at: float | None = None

    def record_error(self, message: str) -> None:
        """Remember a write error for ``stats()``."""
        with self.lock:
            self.last_error = message
            self.last_error_at = time.time()
            self.retried += 1

    def add_replayed(self, count: int) -> None:
        """Count records recovered from a dead process's journal."""
        with self.lock:
            self.replayed += count

    def add_corrupt(self, count: int) -> None:
        """Count unreadable journal lines that were skipped."""
        with self.lock:
            self.corrupt += count

    def record_done(self, *, own: int, written: int, rejected: int = 0) -> None:
        """Count a finished batch: ``own`` of this process's records are settled."""
        with self.lock:
            self.own_done += own
            self.written += written
            self.rejected += rejected
            self.last_error = None
            self.committed_cond.notify_all()
