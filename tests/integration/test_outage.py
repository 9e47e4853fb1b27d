"""The database goes away mid-stream: logging goes on, and after recovery nothing is lost."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from predledger import Ledger
from predledger.store import migrate
from predledger.store.engine import Store

from support.db_checks import query, stored_id_counts
from support.tcp_proxy import TcpProxy


def _create_schema(url: str) -> None:
    store = Store(url)
    migrate.upgrade(store)
    store.dispose()


def _log_batch(ledger: Ledger, start: int, count: int) -> list[str]:
    return [
        ledger.log(model="o", version="1", inputs={"i": i}, label=str(i % 2), latency_ms=1.0)
        for i in range(start, start + count)
    ]


def _wait_for_error(ledger: Ledger, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        error = ledger.stats().last_error
        if error:
            return error
        time.sleep(0.05)
    raise AssertionError("the ledger never reported the outage")


def test_postgres_outage_through_a_cut_proxy(postgres_url: str, journal_dir: Path) -> None:
    proxy = TcpProxy("127.0.0.1", 5432).start()
    url = postgres_url.replace("127.0.0.1:5432", proxy.url_host())
    ledger = Ledger(url, journal_dir=journal_dir, retry_max_delay=0.5, batch_size=200)
    try:
        logged = _log_batch(ledger, 0, 1000)
        assert ledger.flush(30)

        proxy.cut()
        logged += _log_batch(ledger, 1000, 3000)
        error = _wait_for_error(ledger)
        during = ledger.stats()
        assert during.queue_depth > 0, "records should wait while the database is away"
        assert "cannot" in error or "connection" in error.lower()
        logged += _log_batch(ledger, 4000, 500)

        proxy.restore()
        assert ledger.flush(60)
        after = ledger.stats()
    finally:
        ledger.close(timeout=10)
        proxy.stop()

    assert after.retried > 0
    assert after.last_error is None
    assert after.accepted == after.written == len(logged) == 4500
    counts = stored_id_counts(postgres_url)
    assert set(counts) == set(logged)
    (total,) = query(postgres_url, "SELECT SUM(count) AS n FROM prediction_rollups")
    assert total["n"] == 4500


def test_sqlite_outage_through_a_competing_exclusive_lock(
    sqlite_url: str, journal_dir: Path
) -> None:
    ledger = Ledger(sqlite_url, journal_dir=journal_dir, retry_max_delay=0.5, batch_size=200)
    path = sqlite_url.removeprefix("sqlite:///")
    blocker = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        logged = _log_batch(ledger, 0, 500)
        assert ledger.flush(30)

        blocker.execute("BEGIN EXCLUSIVE")
        logged += _log_batch(ledger, 500, 2000)
        error = _wait_for_error(ledger)
        assert "locked" in error
        assert ledger.stats().queue_depth > 0
        blocker.execute("COMMIT")

        assert ledger.flush(60)
        after = ledger.stats()
    finally:
        blocker.close()
        ledger.close(timeout=10)

    assert after.retried > 0
    assert after.last_error is None
    assert set(stored_id_counts(sqlite_url)) == set(logged)
    (total,) = query(sqlite_url, "SELECT SUM(count) AS n FROM prediction_rollups")
    assert total["n"] == 2500


def test_a_ledger_starts_while_the_database_is_unreachable(
    postgres_url: str, journal_dir: Path
) -> None:
    _create_schema(postgres_url)
    proxy = TcpProxy("127.0.0.1", 5432)  # not started: connections are refused
    url = postgres_url.replace("127.0.0.1:5432", proxy.url_host())
    ledger = Ledger(url, journal_dir=journal_dir, retry_max_delay=0.5)
    try:
        logged = _log_batch(ledger, 0, 300)
        assert "cannot use the database" in _wait_for_error(ledger)
        proxy.start()
        assert ledger.flush(60)
    finally:
        ledger.close(timeout=10)
        proxy.stop()
    assert set(stored_id_counts(postgres_url)) == set(logged)


@pytest.mark.parametrize("durability", ["journal", "memory"])
def test_overload_drops_are_counted_exactly(
    sqlite_url: str, journal_dir: Path, durability: str
) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    _create_schema(sqlite_url)
    blocker = sqlite3.connect(path, isolation_level=None, timeout=30)
    ledger = Ledger(
        sqlite_url, journal_dir=journal_dir, durability=durability,  # type: ignore[arg-type]
        max_queue=300, max_journal_bytes=64 * 1024, on_full="drop", retry_max_delay=0.5,
    )  # fmt: skip
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        returned = _log_batch(ledger, 0, 3000)
        stats = ledger.stats()
        assert stats.dropped > 0
        blocker.execute("COMMIT")
        assert ledger.flush(60)
        final = ledger.stats()
    finally:
        blocker.close()
        ledger.close(timeout=10)

    stored = set(stored_id_counts(sqlite_url))
    assert stored <= set(returned)
    assert final.dropped == len(returned) - len(stored)
    assert final.accepted == len(stored)


def test_blocking_policy_waits_for_room_instead_of_dropping(
    sqlite_url: str, journal_dir: Path
) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    _create_schema(sqlite_url)
    blocker = sqlite3.connect(path, isolation_level=None, timeout=30)
    ledger = Ledger(
        sqlite_url, journal_dir=journal_dir, max_journal_bytes=32 * 1024, on_full="block",
        retry_max_delay=0.2,
    )  # fmt: skip
    returned: list[str] = []
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        producer = threading.Thread(target=lambda: returned.extend(_log_batch(ledger, 0, 1000)))
        producer.start()
        producer.join(timeout=2)
        assert producer.is_alive(), "log() should wait while the journal is full"
        blocker.execute("COMMIT")
        producer.join(timeout=60)
        assert not producer.is_alive()
        assert ledger.flush(60)
        stats = ledger.stats()
    finally:
        blocker.close()
        ledger.close(timeout=10)
    assert stats.dropped == 0
    assert set(stored_id_counts(sqlite_url)) == set(returned)
    assert len(returned) == 1000
