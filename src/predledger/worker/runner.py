"""``predledger worker``: one consumer of the stream, writing batches to the database.

Each worker is the ledger's writer thread (retries with back-off, rejected records kept
aside) fed by a ``StreamSource`` instead of a journal, writing through the same bulk
writer as a ledger: one transaction per batch for rows and rollups, and a duplicate id
(a redelivery) takes the dedupe path, so at-least-once delivery stores each row once.

Database connections: a worker holds one connection for its batches and borrows a
second, briefly, to check the schema after an error: at most two per worker.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg
import redis
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

from predledger.errors import ConfigurationError, StoreUnavailableError
from predledger.ingest.bulk import build_bulk_writer
from predledger.ingest.stats import Counters
from predledger.ingest.stream_redis import (
    DEFAULT_GROUP,
    DEFAULT_STREAM,
    connect,
    resolve_redis_url,
    unavailable,
)
from predledger.ingest.writer import Writer, describe_write_error
from predledger.ops.partitions import prepare_partitions
from predledger.store.engine import Store
from predledger.store.migrate import ensure_schema
from predledger.worker.maintenance import ensure_group
from predledger.worker.source import StreamPosition, StreamSource

APPLICATION_PREFIX = "predledger-worker"


def default_consumer_name() -> str:
    """``<host>-<pid>``: unique among live workers, and telling which one it is."""
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker reads, where it writes, and how it paces itself.

    Attributes:
        database_url: the database; default ``PREDLEDGER_DATABASE_URL``.
        redis_url: the Redis server; default ``PREDLEDGER_REDIS_URL``.
        stream: the stream's key.
        group: the consumer group all workers of this stream share.
        consumer: this worker's name in the group (default ``<host>-<pid>``).
        batch_size: records per transaction at most.
        claim_idle: seconds an entry stays pending with a silent worker before another
            worker claims it.
        block: seconds one read waits for new entries (and SIGTERM waits at most extra).
        data_dir: where records the database refuses are kept (``rejected.jsonl``).
        retry_max_delay: the cap on the back-off between retries of a failing batch.
    """

    database_url: str | None = None
    redis_url: str | None = None
    stream: str = DEFAULT_STREAM
    group: str = DEFAULT_GROUP
    consumer: str = field(default_factory=default_consumer_name)
    batch_size: int = 5000
    claim_idle: float = 30.0
    block: float = 0.2
    data_dir: Path = Path(".predledger/worker")
    retry_max_delay: float = 10.0

    def check(self) -> None:
        """Refuse settings that cannot work, naming the option to fix."""
        for name, value in (("batch_size", self.batch_size), ("claim_idle", self.claim_idle),
                            ("block", self.block)):  # fmt: skip
            if value <= 0:
                raise ConfigurationError(f"--{name.replace('_', '-')} must be positive")
        if not self.stream or not self.group or not self.consumer:
            raise ConfigurationError("--stream, --group and --consumer must not be empty")


@dataclass(frozen=True)
class WorkerStats:
    """What a worker did: rows written, entries claimed from others, problems met."""

    consumer: str
    written: int
    claimed: int
    retried: int
    rejected: int
    corrupt: int
    last_error: str | None


class StreamWorker:
    """A consumer of the stream that writes what it reads to the database.

    ``start()`` checks Redis and the schema (raising a one-line error when either is
    unusable), then runs the writer thread; ``stop()`` lets it finish and acknowledge
    the batch in hand.
    """

    def __init__(self, settings: WorkerSettings) -> None:
        settings.check()
        self.settings = settings
        self.redis_url = resolve_redis_url(settings.redis_url)
        self.store = Store(settings.database_url, pool_size=1)
        _name_connections(self.store, f"{APPLICATION_PREFIX}:{settings.consumer}")
        self.client = connect(self.redis_url, socket_timeout=settings.block + 10.0)
        self.counters = Counters()
        self.stop_reading = threading.Event()
        position = StreamPosition(
            self.redis_url, settings.stream, settings.group, settings.consumer
        )
        self.source = StreamSource(
            self.client, position, self.counters, self.stop_reading,
            block_ms=max(1, int(settings.block * 1000)),
            claim_idle_ms=max(1, int(settings.claim_idle * 1000)),
        )  # fmt: skip
        self.writer = Writer(
            bulk=build_bulk_writer(self.store.engine),
            source=self.source,
            counters=self.counters,
            prepare=lambda: None,  # start() checked the schema already
            describe_error=self._describe_error,
            batch_size=settings.batch_size,
            flush_interval=0.0,  # the stream read itself waits for entries
            retry_max_delay=settings.retry_max_delay,
            journal_dir=settings.data_dir,
            own_paths=set,
        )

    def start(self) -> None:
        """Check Redis and the database, join the group, and start writing.

        Raises:
            StreamUnavailableError: Redis cannot be reached.
            StoreUnavailableError: the database cannot be reached.
            SchemaOutdatedError: the schema is behind: run ``predledger db upgrade``.
        """
        try:
            self.client.ping()
            s = self.settings
            ensure_group(self.client, s.stream, s.group)
            self.client.xgroup_createconsumer(s.stream, s.group, s.consumer)  # seen at once
        except redis.RedisError as exc:
            raise unavailable(self.redis_url, exc) from exc
        ensure_schema(self.store)
        problem = prepare_partitions(self.store)  # the days ahead; DEFAULT takes the rest
        if problem:
            self.counters.last_error = problem
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.writer.start()

    def stop(self, grace: float = 30.0) -> bool:
        """Finish the batch in hand, acknowledge it and stop; true when it stopped cleanly.

        A batch the database still refuses after ``grace`` seconds is abandoned: its
        entries stay pending, and another worker claims them.
        """
        self.stop_reading.set()
        self.writer.stopping.set()
        self.writer.wake.set()
        if self.writer.is_alive():
            self.writer.join(grace)
        if self.writer.is_alive():
            self.writer.give_up.set()
            self.writer.join(10.0)
        clean = self.writer.clean_exit
        self.client.close()
        self.store.dispose()
        return clean

    def is_running(self) -> bool:
        """Whether the writer thread is still going."""
        return self.writer.is_alive()

    def stats(self) -> WorkerStats:
        """A snapshot of the worker's counters."""
        c = self.counters
        with c.lock:
            return WorkerStats(
                consumer=self.settings.consumer, written=c.written, claimed=self.source.claimed,
                retried=c.retried, rejected=c.rejected, corrupt=c.corrupt,
                last_error=c.last_error,
            )  # fmt: skip

    def _describe_error(self, exc: BaseException) -> str:
        if isinstance(exc, StoreUnavailableError):
            return str(exc)
        if isinstance(exc, DBAPIError | psycopg.OperationalError | sqlite3.OperationalError):
            return self.store.unavailable_message(exc)
        return f"{describe_write_error(exc)} (writing to {self.store.describe()})"


def _name_connections(store: Store, name: str) -> None:
    """Label the worker's PostgreSQL sessions, so ``pg_stat_activity`` can count them."""
    if store.dialect != "postgresql":
        return

    @event.listens_for(store.engine, "do_connect")
    def _on_connect(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        params["application_name"] = name[:63]


def run_worker(
    settings: WorkerSettings,
    *,
    stop_grace: float = 30.0,
    on_started: Callable[[StreamWorker], None] | None = None,
) -> WorkerStats:
    """Run a worker in this (main) thread until SIGTERM or SIGINT, then stop it cleanly.

    Args:
        settings: the worker's settings.
        stop_grace: seconds to let a failing batch retry after the signal.
        on_started: called once the worker runs (the CLI prints a line).
    """
    stopped = threading.Event()

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        stopped.set()

    worker = StreamWorker(settings)
    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            worker.start()
        except BaseException:
            worker.stop(0.0)
            raise
        if on_started is not None:
            on_started(worker)
        while not stopped.wait(0.5) and worker.is_running():
            pass
        worker.stop(stop_grace)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return worker.stats()
