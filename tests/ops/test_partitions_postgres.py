"""PostgreSQL's daily partitions: created ahead, a DEFAULT safety net, dropped by retention."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ops_records import prediction_at, write_records

from predledger.ingest.ledger import Ledger
from predledger.ops.partitions import (
    create_partitions,
    drop_partition,
    ensure_partitions,
    list_partitions,
    partition_name,
)
from predledger.store import migrate
from predledger.store.engine import Store

from support.db_checks import query

NOW = datetime.now(UTC)


def _days(store: Store, table: str = "predictions") -> set:
    with store.engine.connect() as connection:
        return {p.day for p in list_partitions(connection, table)}


def test_partitions_are_made_ahead_and_only_once(postgres_url: str) -> None:
    store = Store(postgres_url)
    migrate.upgrade(store)
    later = NOW + timedelta(days=20)
    created = ensure_partitions(store, days_ahead=3, now=later)
    expected = {(later + timedelta(days=n)).date() for n in range(-1, 4)}
    assert expected <= _days(store)
    assert expected <= _days(store, "api_requests")
    assert len(created) == 2 * len(expected)
    assert ensure_partitions(store, days_ahead=3, now=later) == []
    assert None in _days(store)  # the DEFAULT partition
    store.dispose()


def test_rows_without_their_day_wait_in_default_then_move(postgres_url: str) -> None:
    store = Store(postgres_url)
    migrate.upgrade(store)
    rng = random.Random(1)
    old = (NOW - timedelta(days=90)).replace(hour=12)
    write_records(store, [prediction_at(old + timedelta(minutes=i), rng) for i in range(20)])
    where = "SELECT tableoid::regclass::text AS part, count(*) AS n FROM predictions GROUP BY 1"
    assert query(postgres_url, where) == [{"part": "predictions_default", "n": 20}]

    created = create_partitions(store, [old.date()])
    assert created == [partition_name(t, old.date()) for t in ("predictions", "api_requests")]
    assert query(postgres_url, where) == [
        {"part": partition_name("predictions", old.date()), "n": 20}
    ]
    store.dispose()


def test_a_ledger_starting_up_makes_the_days_ahead(postgres_url: str, journal_dir: Path) -> None:
    store = Store(postgres_url)
    migrate.upgrade(store)
    with store.engine.connect() as connection:
        future = [
            p for p in list_partitions(connection, "predictions") if p.day and p.day > NOW.date()
        ]
    for partition in future:
        assert drop_partition(store, partition) == 0
    assert not {p.day for p in future} & _days(store)

    with Ledger(postgres_url, journal_dir=journal_dir) as ledger:
        ledger.log(model="m", version="1", inputs={"x": 1}, label="a")
        assert ledger.flush(30)
    assert {p.day for p in future} <= _days(store)
    store.dispose()


def test_ingest_never_fails_for_want_of_a_partition(postgres_url: str, journal_dir: Path) -> None:
    store = Store(postgres_url)
    migrate.upgrade(store)
    with store.engine.connect() as connection:
        today = [p for p in list_partitions(connection, "predictions") if p.day == NOW.date()]
    assert drop_partition(store, today[0]) == 0
    rng = random.Random(2)
    records = [prediction_at(datetime.now(UTC), rng) for _ in range(10)]
    write_records(store, records)  # no partition for today: the DEFAULT partition takes them

    with Ledger(postgres_url, journal_dir=journal_dir) as ledger:  # its start-up makes today
        ids = [ledger.log(model="m", version="1", label="a") for _ in range(10)]
        assert ledger.flush(30)
    where = "SELECT id::text AS id, tableoid::regclass::text AS part FROM predictions"
    stored = query(postgres_url, where)
    assert {row["id"] for row in stored} == set(ids) | {r["id"] for r in records}
    assert {row["part"] for row in stored} == {partition_name("predictions", NOW.date())}
    store.dispose()
