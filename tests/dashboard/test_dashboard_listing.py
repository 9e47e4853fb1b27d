"""The predictions list in id order gives the same pages as ``list_predictions``, on both
backends, whatever the filters."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from dashboard_seed import id_at

from predledger.dashboard.listing import newest_predictions_page, smallest_id_at
from predledger.errors import InvalidRecordError
from predledger.ingest.bulk import build_bulk_writer
from predledger.predictions.queries import PredictionFilters, list_predictions
from predledger.store import migrate
from predledger.store.engine import Store

START = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """300 predictions of two models over five hours, some at the very same microsecond."""
    store = Store(database_url)
    migrate.upgrade(store)
    rng = random.Random(5)
    records = []
    for index in range(300):
        moment = START + timedelta(seconds=60 * (index // 3))
        key, ts = id_at(int(moment.timestamp() * 1_000_000), rng)
        records.append(
            {"k": "p", "id": key, "ts": ts, "model": ("churn", "price")[index % 2],
             "version": str(1 + index % 3 // 2), "prediction_type": "features",
             "status": "error" if index % 7 == 0 else "success", "label": "yes"}
        )  # fmt: skip
    writer = build_bulk_writer(store.engine, hooks=[])
    writer.write(records)
    writer.close()
    yield store
    store.dispose()


def _all_pages(store: Store, filters: PredictionFilters, *, ours: bool) -> list[str]:
    ids: list[str] = []
    cursor = None
    with store.transaction() as session:
        while True:
            if ours:
                page = newest_predictions_page(session, filters, limit=40, cursor=cursor)
            else:
                page = list_predictions(session, filters, limit=40, cursor=cursor)
            ids += [item.id for item in page.items]
            if page.next_cursor is None:
                return ids
            cursor = page.next_cursor


@pytest.mark.parametrize(
    "filters",
    [
        PredictionFilters(),
        PredictionFilters(model="churn"),
        PredictionFilters(model="price", version="2"),
        PredictionFilters(status="error"),
        PredictionFilters(since=START + timedelta(minutes=30), until=START + timedelta(hours=1)),
    ],
    ids=["all", "model", "model-version", "status", "time"],
)
def test_the_same_predictions_in_the_same_order(store: Store, filters: PredictionFilters) -> None:
    ours = _all_pages(store, filters, ours=True)
    assert ours == _all_pages(store, filters, ours=False)
    assert ours


def test_a_bad_cursor_is_refused(store: Store) -> None:
    with store.transaction() as session, pytest.raises(InvalidRecordError, match="cursor"):
        newest_predictions_page(
            session, PredictionFilters(), limit=10, cursor="00000000-0000-4000-8000-000000000000"
        )


def test_the_smallest_id_of_a_moment_sorts_before_its_ids() -> None:
    rng = random.Random(1)
    moment = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    made, _ = id_at(int(moment.timestamp() * 1_000_000), rng)
    assert smallest_id_at(moment) <= made < smallest_id_at(moment + timedelta(milliseconds=1))
