"""Engines and transactions for SQLite and PostgreSQL.

Every difference between the two databases that is not SQL text lives here or in
``predledger.store.dialect``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from predledger.config import resolve_database_url
from predledger.errors import StoreUnavailableError

SQLITE_BUSY_TIMEOUT_MS = 5000
# Pages of 16 KiB rather than SQLite's 4 KiB: a prediction row is most of a kilobyte, and
# with 4 fewer pages (and write-ahead log frames) per row the writer stored ~45% more rows
# a second (benchmarks/ingest.py). SQLite applies it only to a database not created yet.
SQLITE_PAGE_SIZE = 16384
_IMMEDIATE = "predledger_immediate"
PG_CONNECT_TIMEOUT_S = 3


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level: SQLAlchemy (and the bulk writer) issue BEGIN
        # themselves, which is the only way pysqlite honours SAVEPOINT and IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA page_size = {SQLITE_PAGE_SIZE}")  # before WAL fixes it
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write transaction takes the write lock at once: a deferred one that reads and
        # then writes fails outright if another writer committed in between (WAL snapshot).
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def build_engine(url: URL, *, pool_size: int = 5) -> Engine:
    """Create an engine with predledger's connection settings for the URL's backend."""
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S, "application_name": "predledger"},
    )


class Store:
    """One database: its engine, its sessions and its dialect.

    Args:
        url: a database URL; ``None`` reads ``PREDLEDGER_DATABASE_URL`` or uses the default.
        pool_size: connections kept per process (PostgreSQL).
    """

    def __init__(self, url: str | URL | None = None, *, pool_size: int = 5) -> None:
        self.url = url if isinstance(url, URL) else resolve_database_url(url)
        self.engine = build_engine(self.url, pool_size=pool_size)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            self.engine.execution_options(**{_IMMEDIATE: True}), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.url.get_backend_name()

    def describe(self) -> str:
        """The URL with its password hidden, for messages."""
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Session]:
        """A session whose work commits when the block ends and rolls back on error.

        Args:
            write: the block reads and then writes; on SQLite it takes the write lock at
                the start (``BEGIN IMMEDIATE``), waiting for it instead of failing later.
        """
        factory = self._write_sessions if write else self._sessions
        with factory() as session:
            try:
                with session.begin():
                    yield session
            except OperationalError as exc:
                raise StoreUnavailableError(self.unavailable_message(exc)) from exc

    def unavailable_message(self, exc: BaseException) -> str:
        """One line saying the database could not be reached and what to check."""
        detail = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        first = (
            str(detail).strip().splitlines()[0] if str(detail).strip() else type(detail).__name__
        )
        hint = (
            "check that the file's folder exists and is writable"
            if self.dialect == "sqlite"
            else "check that PostgreSQL is running and the URL's host, port and database are right"
        )
        return f"cannot use the database {self.describe()}: {first} ({hint})"

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
