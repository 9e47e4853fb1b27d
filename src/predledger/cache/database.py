"""The database tier: ``cache_entries`` rows that outlive Redis and process restarts.

Reads happen on the request path (one primary-key lookup); writes never do: they go to a
bounded queue that a background thread writes in batches, dropping what does not fit.
A database that is away only means misses.
"""

from __future__ import annotations

import queue
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from predledger.cache.models import CacheEntry
from predledger.errors import StoreError
from predledger.store.engine import Store

_PURGE_EVERY_S = 600.0


class _Pending(NamedTuple):
    model: str
    version: str
    digest: str
    value: bytes
    ttl: float


class DatabaseTier:
    """Answers kept in the ``cache_entries`` table.

    Args:
        store: the database.
        max_pending: writes waiting at most; past it new ones are dropped (and counted).
        interval: seconds between batches of writes.
    """

    name = "database"

    def __init__(self, store: Store, *, max_pending: int = 10_000, interval: float = 0.2) -> None:
        self.store = store
        self.dropped = 0
        self.errors = 0
        self._pending: queue.Queue[_Pending | threading.Event] = queue.Queue(max_pending)
        self._interval = interval
        self._stopping = threading.Event()
        self._last_purge = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="predledger-cache-db", daemon=True)
        self._thread.start()

    def get(self, model: str, version: str, digest: str) -> bytes | None:
        """The entry, or ``None`` when absent, expired or the database is away."""
        try:
            with self.store.transaction() as session:
                value = session.execute(
                    select(CacheEntry.value).where(
                        CacheEntry.model_name == model,
                        CacheEntry.model_version == version,
                        CacheEntry.input_hash == digest,
                        CacheEntry.expires_at > datetime.now(UTC),
                    )
                ).scalar_one_or_none()
        except StoreError:
            self.errors += 1
            return None
        return value.encode() if value is not None else None

    def set(self, model: str, version: str, digest: str, value: bytes, ttl: float) -> None:
        """Queue an entry to be written (dropped, and counted, when the queue is full)."""
        try:
            self._pending.put_nowait(_Pending(model, version, digest, value, ttl))
        except queue.Full:
            self.dropped += 1

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every entry queued so far is written."""
        marker = threading.Event()
        self._pending.put(marker)
        return marker.wait(timeout)

    def close(self) -> None:
        """Write what is queued and stop the writer thread."""
        self._stopping.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._stopping.wait(self._interval)
            self._write_batch()
        self._write_batch()

    def _write_batch(self) -> None:
        batch: dict[tuple[str, str, str], _Pending] = {}
        markers: list[threading.Event] = []
        while True:
            try:
                item = self._pending.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, threading.Event):
                markers.append(item)
            else:
                batch[(item.model, item.version, item.digest)] = item
        if batch:
            self._write(list(batch.values()))
        if time.monotonic() - self._last_purge > _PURGE_EVERY_S:
            self._last_purge = time.monotonic()
            self.purge_expired()
        for marker in markers:
            marker.set()

    def _write(self, items: list[_Pending]) -> None:
        now = datetime.now(UTC)
        for item in items:
            try:
                with self.store.transaction() as session:
                    _upsert(session, item, now)
            except (StoreError, IntegrityError):
                self.errors += 1  # another process wrote the same entry, or the db is away

    def purge_expired(self) -> int:
        """Delete expired entries; how many went."""
        try:
            with self.store.transaction() as session:
                result = session.execute(
                    delete(CacheEntry).where(CacheEntry.expires_at <= datetime.now(UTC))
                )
                return int(getattr(result, "rowcount", 0) or 0)
        except StoreError:
            self.errors += 1
            return 0


def _upsert(session: Session, item: _Pending, now: datetime) -> None:
    expires = now + timedelta(seconds=item.ttl)
    text = item.value.decode()
    changed = session.execute(
        update(CacheEntry)
        .where(
            CacheEntry.model_name == item.model,
            CacheEntry.model_version == item.version,
            CacheEntry.input_hash == item.digest,
        )
        .values(value=text, created_at=now, expires_at=expires)
    )
    if not getattr(changed, "rowcount", 0):
        session.add(
            CacheEntry(
                model_name=item.model,
                model_version=item.version,
                input_hash=item.digest,
                value=text,
                created_at=now,
                expires_at=expires,
            )
        )
