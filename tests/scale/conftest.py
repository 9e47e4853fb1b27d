"""Scale-out fixtures: a private redis-server, a migrated PostgreSQL schema, child processes.

Every process a test starts is killed and reaped at teardown, whatever happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from stream_cluster import Children

from predledger.store import migrate
from predledger.store.engine import Store

from support.redis_server import RedisServer


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server private to the test (failed in CI, skipped elsewhere, when missing)."""
    folder = tmp_path / "redis"
    folder.mkdir()
    with RedisServer(folder) as server:
        yield server


@pytest.fixture
def scale_db(postgres_url: str) -> str:
    """A fresh PostgreSQL schema, migrated before any worker starts."""
    store = Store(postgres_url)
    try:
        migrate.upgrade(store)
    finally:
        store.dispose()
    return postgres_url


@pytest.fixture
def children(tmp_path: Path, scale_db: str, own_redis: RedisServer) -> Iterator[Children]:
    """Starts workers and producers for the test, and reaps them all afterwards."""
    group = Children(tmp_path, scale_db, own_redis.url)
    try:
        yield group
    finally:
        group.close()
