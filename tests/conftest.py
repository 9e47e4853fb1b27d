"""Fixtures shared by every test: real databases, one fresh schema or file per test.

PostgreSQL (127.0.0.1:5432, database ``test``) and Redis (127.0.0.1:6379) are real
servers. Under ``CI=true`` a missing server fails the run; elsewhere the tests that need
it are skipped with the command that starts it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

PG_ADMIN_DSN = os.environ.get(
    "PREDLEDGER_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test"
)
PG_URL = os.environ.get(
    "PREDLEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("PREDLEDGER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

PG_START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
REDIS_START = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no'
)


def _service_missing(what: str, start: str, exc: Exception) -> None:
    message = f"{what} is not reachable ({exc}); start it with: {start}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_available() -> None:
    """Fail (CI) or skip (laptop) when PostgreSQL is down."""
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            pass
    except psycopg.OperationalError as exc:
        _service_missing("PostgreSQL on 127.0.0.1:5432", PG_START, exc)


@pytest.fixture(scope="session")
def redis_available() -> None:
    """Fail (CI) or skip (laptop) when Redis is down."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.exceptions.ConnectionError as exc:
        _service_missing("Redis on 127.0.0.1:6379", REDIS_START, exc)


@pytest.fixture
def redis_url(redis_available: None) -> Iterator[str]:
    """A Redis database emptied before and after the test."""
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


def postgres_schema_url(schema: str) -> str:
    """A URL whose connections use ``schema`` as their search path."""
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    """A URL to a fresh, empty PostgreSQL schema, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    yield postgres_schema_url(schema)
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL to a new SQLite file in the test's folder."""
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that takes this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    """A journal folder private to the test."""
    return tmp_path / "journal"
