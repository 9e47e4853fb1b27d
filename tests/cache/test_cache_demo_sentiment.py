"""The demo's sentiment route answers repeated texts from the cache, and says how often."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from predledger import Ledger
from predledger.cache import PredictionCache
from predledger.demo.app import build_demo_app
from predledger.demo.models import DemoModels

from support.db_checks import query
from support.live_server import LiveServer


@pytest.fixture(scope="module")
def models() -> DemoModels:
    return DemoModels.train()


def test_repeated_texts_are_cache_hits_in_the_log_analytics_and_metrics(
    models: DemoModels, redis_url: str, sqlite_url: str, tmp_path: Path
) -> None:
    cache = PredictionCache(redis_url=redis_url)
    with Ledger(sqlite_url, journal_dir=tmp_path / "journal", cache=cache) as ledger:
        app = build_demo_app(models, ledger, log_files=False)
        with LiveServer(app) as server, httpx.Client(base_url=server.url) as client:
            answers = [
                client.post("/predict", json={"text": "I love it!"}).json() for _ in range(3)
            ]
            batch = client.post("/batch", json={"texts": ["I love it!", "Awful."]}).json()
            assert {a["sentiment"] for a in answers} == {"positive"}
            assert batch["predictions"][0]["sentiment"] == "positive"
            assert ledger.flush(10)
            analytics = client.get("/analytics/cache").json()
            metrics = client.get("/metrics").text
    rows = query(sqlite_url, "SELECT cache_hit FROM predictions ORDER BY id")
    assert [bool(r["cache_hit"]) for r in rows] == [False, True, True, True, False]
    assert analytics["cache_hits"] == 3
    assert analytics["predictions"] == 5
    assert analytics["hit_rate"] == pytest.approx(0.6)
    assert analytics["by_version"][0]["model_name"] == models.sentiment.name
    assert analytics["process"]["backend"] == "redis"
    assert analytics["process"]["hits"] == 3
    assert 'predledger_cache_lookups_total{result="hit"} 3.0' in metrics
    assert "predledger_cache_redis_up 1.0" in metrics


def test_the_cache_can_be_turned_off(models: DemoModels, sqlite_url: str, tmp_path: Path) -> None:
    with Ledger(sqlite_url, journal_dir=tmp_path / "journal") as ledger:
        app = build_demo_app(models, ledger, log_files=False, cache=False)
        with LiveServer(app) as server, httpx.Client(base_url=server.url) as client:
            for _ in range(2):
                client.post("/predict", json={"text": "I love it!"})
        ledger.flush(10)
        assert ledger.cache_if_started is None
    rows = query(sqlite_url, "SELECT cache_hit FROM predictions")
    assert [bool(r["cache_hit"]) for r in rows] == [False, False]
