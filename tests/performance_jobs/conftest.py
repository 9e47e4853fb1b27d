"""A migrated store per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from predledger import Ledger
from predledger.store import migrate
from predledger.store.engine import Store


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A store whose schema is built by running the migrations."""
    store = Store(database_url)
    migrate.upgrade(store)
    yield store
    store.dispose()


@pytest.fixture
def ledger(store: Store) -> Iterator[Ledger]:
    """A ledger on the same database that commits in the background, without a journal."""
    ledger = Ledger(store.url.render_as_string(hide_password=False), durability="memory")
    yield ledger
    ledger.close()
