"""A migrated store per test (each backend in turn), and ledgers on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

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
def open_ledger(database_url: str, journal_dir: Path) -> Iterator[Callable[[], Ledger]]:
    """Open ledgers on the test's database (closed at the end); open them once the registry
    holds what the test needs, since the histogram hook looks at active versions on start."""
    opened: list[Ledger] = []

    def factory() -> Ledger:
        ledger = Ledger(database_url, journal_dir=journal_dir, flush_interval=0.02)
        opened.append(ledger)
        return ledger

    yield factory
    for ledger in opened:
        ledger.close()
