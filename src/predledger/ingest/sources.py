"""Where the writer takes its batches from: the journal, or memory alone."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Protocol

from predledger.errors import LedgerClosedError
from predledger.ingest.journal import Journal, JournalBatch, JournalClosedError, JournalFullError


class QueueFullError(Exception):
    """The bounded queue or journal is full and the policy is not to wait."""


class Source(Protocol):
    """Accepted records waiting for the writer."""

    def put(self, record: dict[str, Any], line: bytes, *, block: bool) -> None:
        """Accept one record (with its encoded line); raises ``QueueFullError``."""

    def take(self, max_records: int) -> tuple[list[dict[str, Any]], object]:
        """Up to ``max_records`` records, and a token to release them once committed."""

    def release(self, token: object) -> None:
        """Forget records whose batch committed."""

    def needs_dedupe(self, token: object) -> bool:
        """Whether the batch may hold records a writer committed before (a restart)."""

    def byte_size(self) -> int:
        """Bytes held on disk."""


class JournalSource:
    """Records live in the journal; the writer reads them back in order."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def put(self, record: dict[str, Any], line: bytes, *, block: bool) -> None:
        del record
        try:
            self.journal.append(line, block=block)
        except JournalFullError:
            raise QueueFullError from None
        except JournalClosedError:
            raise LedgerClosedError(
                "this ledger is closed: create a new Ledger to log again"
            ) from None

    def take(self, max_records: int) -> tuple[list[dict[str, Any]], object]:
        batch = self.journal.read(max_records)
        return batch.records, batch

    def release(self, token: object) -> None:
        assert isinstance(token, JournalBatch)
        self.journal.release(token)

    def needs_dedupe(self, token: object) -> bool:
        del token
        return False

    def byte_size(self) -> int:
        return self.journal.size


class MemorySource:
    """Records live only in a bounded in-memory queue (``durability="memory"``)."""

    def __init__(self, max_queue: int) -> None:
        self.max_queue = max_queue
        self._queue: deque[dict[str, Any]] = deque()
        self._space = threading.Condition()

    def put(self, record: dict[str, Any], line: bytes, *, block: bool) -> None:
        del line
        with self._space:
            while len(self._queue) >= self.max_queue:
                if not block:
                    raise QueueFullError
                self._space.wait(0.5)
            self._queue.append(record)

    def take(self, max_records: int) -> tuple[list[dict[str, Any]], object]:
        with self._space:
            count = min(max_records, len(self._queue))
            records = [self._queue.popleft() for _ in range(count)]
            self._space.notify_all()
        return records, None

    def release(self, token: object) -> None:
        del token

    def needs_dedupe(self, token: object) -> bool:
        del token
        return False

    def byte_size(self) -> int:
        return 0
