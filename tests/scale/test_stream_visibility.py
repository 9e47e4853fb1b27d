"""What waits in the shared ingest stream shows in ``/metrics`` and ``predledger status``."""

from __future__ import annotations

import json
import re
from pathlib import Path

from stream_cluster import wait_until
from typer.testing import CliRunner

from predledger import Ledger
from predledger.api.metrics import ServiceMetrics
from predledger.cli.main import app
from predledger.worker import StreamWorker, WorkerSettings

from support.redis_server import RedisServer


def _gauge(exposition: str, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", exposition, re.MULTILINE)
    assert match, f"{name} is not in /metrics"
    return float(match.group(1))


def _status(*args: str) -> str:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["status", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_backlog_is_visible_then_drains(own_redis: RedisServer, scale_db: str, tmp_path: Path):
    ledger = Ledger(transport="redis", redis_url=own_redis.url, journal_dir=tmp_path / "j",
                    batch_size=250, flush_interval=60)  # fmt: skip
    metrics = ServiceMetrics(ledger)
    try:
        for i in range(250):
            ledger.log(model="m", version="1", inputs={"i": i}, label="a")
        wait_until(
            lambda: _gauge(metrics.exposition().decode(), "predledger_stream_length") == 3,
            "the batch in the stream (250 records: 3 entries)",
        )

        scraped = metrics.exposition().decode()
        assert _gauge(scraped, "predledger_stream_up") == 1.0
        assert _gauge(scraped, "predledger_stream_backlog") == 3.0
        assert _gauge(scraped, "predledger_stream_consumers") == 0.0

        before = json.loads(_status("--database-url", scale_db, "--redis-url", own_redis.url,
                                    "--json"))  # fmt: skip
        assert before["stream"]["backlog"] == 3
        assert before["rows"]["predictions"] == 0

        settings = WorkerSettings(database_url=scale_db, redis_url=own_redis.url,
                                  consumer="w1", data_dir=tmp_path / "worker")  # fmt: skip
        worker = StreamWorker(settings)
        worker.start()
        try:
            wait_until(
                lambda: _gauge(metrics.exposition().decode(), "predledger_stream_backlog") == 0,
                "the worker to drain the stream",
            )
            scraped = metrics.exposition().decode()
        finally:
            assert worker.stop()
        assert _gauge(scraped, "predledger_stream_consumers") == 1.0
        text = _status("--database-url", scale_db, "--redis-url", own_redis.url)
        assert "stream: predledger:records" in text
        assert "0 entries not yet written" in text

        own_redis.kill()
        assert _gauge(metrics.exposition().decode(), "predledger_stream_up") == 0.0
        text = _status("--database-url", scale_db, "--redis-url", own_redis.url)
        assert "stream: unknown: cannot use Redis" in text
    finally:
        ledger.close(timeout=1)
