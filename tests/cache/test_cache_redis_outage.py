"""Redis dies mid-traffic: callers see no error (the model computes), and the cache comes back
by itself once Redis does. The Redis here is the test's own, on a port of its own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from predledger import Ledger
from predledger.api.instrument import instrument
from predledger.cache import PredictionCache
from predledger.tracking import track_prediction

from support.api_service import wait_until
from support.db_checks import query
from support.live_server import LiveServer
from support.redis_server import RedisServer

TEXTS = [f"text number {i}" for i in range(5)]


def scoring_app(ledger: Ledger) -> FastAPI:
    """A model service that answers repeated texts from the cache, as the README shows."""
    app = FastAPI()
    instrument(app, ledger, log_files=False)

    @app.post("/score")
    def score(body: dict[str, str]) -> dict[str, object]:
        text = body["text"]
        with track_prediction(ledger, model="len", version="1", inputs=text) as p:
            p.label = ledger.cached("len", "1", text, lambda: {"label": str(len(text))})["label"]
        return {"label": p.label, "prediction_id": p.prediction_id}

    return app


class Traffic:
    """A client thread sending the same few texts until stopped; it records every answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.statuses: list[int] = []
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            sent = 0
            while not self.stop.is_set() and sent < 20_000:  # bounded
                try:
                    answer = client.post("/score", json={"text": TEXTS[sent % len(TEXTS)]})
                    self.statuses.append(answer.status_code)
                except httpx.HTTPError as exc:
                    self.errors.append(repr(exc))
                sent += 1

    def __enter__(self) -> Traffic:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


@pytest.fixture
def server() -> Iterator[RedisServer]:
    with RedisServer() as running:
        yield running


def test_callers_see_no_error_while_redis_is_down_and_it_comes_back(
    server: RedisServer, sqlite_url: str, tmp_path: Path
) -> None:
    cache = PredictionCache(redis_url=server.url, retry_after=0.5)
    with Ledger(sqlite_url, journal_dir=tmp_path / "journal", cache=cache) as ledger:
        with LiveServer(scoring_app(ledger)) as live, Traffic(live.url) as traffic:
            wait_until(lambda: cache.stats().hits_by_tier.get("redis", 0) >= 50, what="hits")
            server.kill()  # mid-traffic
            wait_until(lambda: not cache.stats().redis_available, what="the breaker to open")
            misses = cache.stats().misses
            wait_until(lambda: cache.stats().misses >= misses + 50, what="computing without redis")
            server.start()
            hits = cache.stats().hits_by_tier.get("redis", 0)
            wait_until(
                lambda: cache.stats().hits_by_tier.get("redis", 0) >= hits + 50,
                what="redis hits again",
            )
        assert cache.stats().redis_available
        assert traffic.errors == []
        assert set(traffic.statuses) == {200}
        assert cache.stats().redis_failures >= 1
        ledger.flush(20)
    rows = query(sqlite_url, "SELECT cache_hit, COUNT(*) AS n FROM predictions GROUP BY cache_hit")
    counts = {bool(r["cache_hit"]): r["n"] for r in rows}
    assert counts[True] >= 100
    assert counts[False] >= 50


def test_a_redis_that_never_answered_only_means_computing(tmp_path: Path) -> None:
    from support.live_server import free_port

    cache = PredictionCache(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    answers = [cache.get_or_compute("m", "1", "t", lambda: "computed") for _ in range(20)]
    assert {(a.hit, a.value) for a in answers} == {(False, "computed")}
    stats = cache.stats()
    assert stats.redis_available is False
    assert stats.redis_failures == 1  # the breaker stopped further attempts for a while
    assert stats.last_redis_error is not None
    cache.close()
