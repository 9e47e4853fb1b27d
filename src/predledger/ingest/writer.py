"""The writer thread: takes batches, commits them, retries, replays dead processes' journals."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import psycopg

from predledger.errors import PredledgerError, StoreUnavailableError
from predledger.ingest.bulk import BulkWriter
from predledger.ingest.journal import claim_orphans, read_orphan, remove_orphan
from predledger.ingest.records import plain_record
from predledger.ingest.sources import Source
from predledger.ingest.stats import Counters
from predledger.logfiles import LogFileWriter
from predledger.store.engine import Store

Records = list[dict[str, Any]]
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    sqlite3.IntegrityError,
    sqlite3.DataError,
    sqlite3.InterfaceError,
    sqlite3.ProgrammingError,
    psycopg.DataError,
    psycopg.IntegrityError,
    KeyError,
    TypeError,
    ValueError,
)


class WriterStopped(Exception):
    """The ledger is closing and the database is still failing: records stay journaled."""


class Writer(threading.Thread):
    """Drains a source into the database, one transaction per batch.

    Args:
        bulk: the backend's bulk writer.
        source: where accepted records wait.
        counters: the ledger's counters.
        prepare: called before writing after (re)connecting; checks the schema.
        describe_error: turns a write exception into one line for ``stats()``.
        journal_dir: folder whose orphaned segments are replayed; ``None`` for none.
        own_paths: the segment files this process holds (never replayed).
    """

    def __init__(
        self,
        *,
        bulk: BulkWriter,
        source: Source,
        counters: Counters,
        prepare: Callable[[], None],
        describe_error: Callable[[BaseException], str],
        batch_size: int,
        flush_interval: float,
        retry_max_delay: float,
        journal_dir: Path | None,
        own_paths: Callable[[], set[Path]],
        orphan_scan_interval: float = 10.0,
        housekeeping: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(name="predledger-writer", daemon=True)
        self.bulk = bulk
        self.source = source
        self.counters = counters
        self.prepare = prepare
        self.describe_error = describe_error
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.retry_max_delay = retry_max_delay
        self.journal_dir = journal_dir
        self.own_paths = own_paths
        self.orphan_scan_interval = orphan_scan_interval
        self.housekeeping = housekeeping
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.give_up = threading.Event()
        # Set once the journals left by dead processes at start-up have been replayed.
        self.startup_replay_done = threading.Event()
        self.clean_exit = False
        # Set by Ledger.write_log_files: committed records are copied into the JSON logs.
        self.log_files: LogFileWriter | None = None
        self._prepared = False
        self._next_scan = 0.0

    def run(self) -> None:
        """Loop until stopped: replay orphans, drain the source, sleep, repeat."""
        try:
            while True:
                self._scan_orphans_if_due()
                self.startup_replay_done.set()
                drained = self._drain()
                self.housekeeping()
                if self.stopping.is_set() and drained:
                    self.clean_exit = True
                    return
                self.wake.wait(self.flush_interval)
                self.wake.clear()
        except WriterStopped:
            return
        finally:
            self.startup_replay_done.set()
            self.bulk.close()
            if self.log_files is not None:
                self.log_files.close()

    def _drain(self) -> bool:
        while True:
            records, token = self.source.take(self.batch_size)
            if records:
                dedupe = self.source.needs_dedupe(token)
                self._write_until_done(records, own=True, dedupe=dedupe)
            self.source.release(token)
            if len(records) < self.batch_size:
                return True

    def _scan_orphans_if_due(self) -> None:
        if self.journal_dir is None or time.monotonic() < self._next_scan:
            return
        self._next_scan = time.monotonic() + self.orphan_scan_interval
        for orphan in claim_orphans(self.journal_dir, self.own_paths()):
            for records, corrupt in read_orphan(orphan, self.batch_size):
                if corrupt:
                    self.counters.add_corrupt(corrupt)
                if records:
                    written = self._write_until_done(records, own=False, dedupe=True)
                    self.counters.add_replayed(written)
            remove_orphan(orphan)

    def _write_until_done(self, records: Records, *, own: bool, dedupe: bool) -> int:
        attempt = 0
        while True:
            try:
                if not self._prepared:
                    self.prepare()
                    self._prepared = True
                written, rejected = self._write_isolating(records, dedupe=dedupe)
            except Exception as exc:  # every other failure is retried: the records are safe
                self._prepared = False
                self.bulk.discard_connection()
                self.counters.record_error(self.describe_error(exc))
                dedupe = True  # the commit may have happened before the error reached us
                attempt += 1
                if self._sleep_before_retry(attempt):
                    raise WriterStopped from exc
                continue
            if own:
                # Every record of this process is stored now and counted only here, even
                # those an unclear commit (or a writer process that died before it could
                # report) put there, which the deduplicated write did not count as new.
                written = len(records) - len(rejected)
            self.counters.record_done(
                own=len(records) if own else 0, written=written, rejected=len(rejected)
            )
            if rejected:
                self._keep_rejected(rejected)
            log_files = self.log_files
            if log_files is not None:
                log_files.write(r for r in records if "_error" not in r)
            return written

    def _write_isolating(self, records: Records, *, dedupe: bool) -> tuple[int, Records]:
        """Write a batch; if the database refuses some record, find it by halving."""
        try:
            return self.bulk.write(records, dedupe=dedupe), []
        except PERMANENT_ERRORS as exc:
            if len(records) == 1:
                records[0]["_error"] = str(exc).splitlines()[0] if str(exc) else repr(exc)
                return 0, records
        middle = len(records) // 2
        first, first_rejected = self._write_isolating(records[:middle], dedupe=True)
        second, second_rejected = self._write_isolating(records[middle:], dedupe=True)
        return first + second, first_rejected + second_rejected

    def _sleep_before_retry(self, attempt: int) -> bool:
        """Back off with capped exponential delay and jitter; true when told to give up."""
        delay = min(self.retry_max_delay, 0.05 * 2**attempt) * random.uniform(0.5, 1.0)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            if self.give_up.is_set():
                return True
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        return self.give_up.is_set()

    def _keep_rejected(self, records: Records) -> None:
        if self.journal_dir is None:
            return
        with open(self.journal_dir / "rejected.jsonl", "ab") as handle:
            for record in records:
                handle.write(orjson.dumps(plain_record(record), option=orjson.OPT_APPEND_NEWLINE))


def describe_store_error(store: Store, exc: BaseException) -> str:
    """One line for ``stats().last_error``, naming the database."""
    if isinstance(exc, StoreUnavailableError):
        return str(exc)
    return f"{describe_write_error(exc)} (writing to {store.describe()})"


def describe_write_error(exc: BaseException) -> str:
    """One line for ``stats().last_error``."""
    if isinstance(exc, PredledgerError):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
