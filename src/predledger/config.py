"""Settings read from arguments and the environment.

``PREDLEDGER_DATABASE_URL`` names the database (default: a SQLite file in the current
directory); ``PREDLEDGER_JOURNAL_DIR`` the folder of the write-ahead journal.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from predledger.errors import ConfigurationError

DEFAULT_DATABASE_URL = "sqlite:///./predledger.db"
DEFAULT_JOURNAL_DIR = ".predledger/journal"

_URL_HELP = "use sqlite:///path/to/file.db or postgresql+psycopg://user:password@host:5432/database"


def resolve_database_url(url: str | None = None) -> URL:
    """Return the database URL to use, checked and normalised.

    Args:
        url: an explicit URL; when ``None``, ``PREDLEDGER_DATABASE_URL`` or the default.

    Raises:
        ConfigurationError: the URL is malformed or names an unsupported database.
    """
    text = url if url is not None else os.environ.get("PREDLEDGER_DATABASE_URL")
    text = (text or DEFAULT_DATABASE_URL).strip()
    try:
        parsed = make_url(text)
    except ArgumentError as exc:
        raise ConfigurationError(f"database URL {text!r} is not valid: {_URL_HELP}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.get_driver_name() not in ("pysqlite", "sqlite"):
            raise ConfigurationError(
                f"SQLite driver {parsed.drivername!r} is not supported: {_URL_HELP}"
            )
        return parsed.set(drivername="sqlite")
    if backend in ("postgresql", "postgres"):
        if parsed.get_driver_name() not in ("psycopg", "postgresql", "postgres"):
            raise ConfigurationError(
                f"PostgreSQL driver {parsed.drivername!r} is not supported: "
                "use postgresql+psycopg:// (psycopg 3)"
            )
        if not parsed.database:
            raise ConfigurationError(f"database URL {text!r} names no database: {_URL_HELP}")
        return parsed.set(drivername="postgresql+psycopg")
    raise ConfigurationError(f"database {backend!r} is not supported: {_URL_HELP}")


def database_fingerprint(url: URL) -> str:
    """Return a short stable name for a database, without its password."""
    safe = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        safe = "sqlite:" + str(Path(url.database).resolve())
    return hashlib.sha256(safe.encode()).hexdigest()[:12]


def resolve_journal_dir(journal_dir: str | os.PathLike[str] | None, url: URL) -> Path:
    """Return the journal folder for a database.

    Each database gets its own sub-folder, so two ledgers pointed at different databases
    never replay each other's records.
    """
    base = journal_dir if journal_dir is not None else os.environ.get("PREDLEDGER_JOURNAL_DIR")
    root = Path(base or DEFAULT_JOURNAL_DIR)
    return root / database_fingerprint(url)
