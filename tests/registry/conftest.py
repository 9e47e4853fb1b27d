"""A migrated store per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from predledger.store import migrate
from predledger.store.engine import Store


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A store whose schema is built by running the migrations."""
    store = Store(database_url)
    migrate.upgrade(store)
    yield store
    store.dispose()
