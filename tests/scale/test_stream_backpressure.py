"""The stream stays bounded: past the cap, producers wait and records stay journaled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from stream_cluster import wait_until

from predledger import ConfigurationError, Ledger
from predledger.worker import StreamWorker, WorkerSettings, stream_status

from support.db_checks import stored_id_counts
from support.redis_server import RedisServer

CAP = 4  # entries; a batch of 300 records makes 3 entries of 100


def _log(ledger: Ledger, count: int) -> list[str]:
    return [
        ledger.log(model="bp", version="1", inputs={"i": i}, label="a", latency_ms=1.0)
        for i in range(count)
    ]


def _stream_length(url: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return int(client.xlen("predledger:records"))
    finally:
        client.close()


def test_producers_wait_past_the_cap_then_drain(
    own_redis: RedisServer, scale_db: str, tmp_path: Path
) -> None:
    url = own_redis.url
    # The writer wakes at batch_size (or flush()), never mid-way: 300 records, one batch.
    ledgers = [
        Ledger(transport="redis", redis_url=url, journal_dir=tmp_path / f"j{n}",
               batch_size=300, flush_interval=60, stream_max_backlog=CAP, retry_max_delay=0.5)
        for n in range(3)
    ]  # fmt: skip
    worker = StreamWorker(
        WorkerSettings(database_url=scale_db, redis_url=url, consumer="bp-1",
                       data_dir=tmp_path / "worker", claim_idle=5.0)
    )  # fmt: skip
    try:
        logged = _log(ledgers[0], 300)
        wait_until(lambda: _stream_length(url) == 3, "the first batch in the stream")
        logged += _log(ledgers[1], 300)
        wait_until(lambda: _stream_length(url) == 6, "the second batch in the stream")
        logged += _log(ledgers[2], 300)
        wait_until(lambda: "the cap is 4" in (ledgers[2].stats().last_error or ""), "the wait")
        assert _stream_length(url) == 6, "past the cap nothing more is appended"
        assert ledgers[2].stats().queue_depth == 300, "the records wait in the journal"
        before = stream_status(url)
        assert (before["length"], before["backlog"], before["group_exists"]) == (6, 6, False)

        worker.start()
        assert all(ledger.flush(60) for ledger in ledgers)
        after = stream_status(url)
        assert (after["pending"], after["lag"], after["consumers"]) == (0, 0, 1)
    finally:
        for ledger in ledgers:
            ledger.close()
        stopped_cleanly = worker.stop(30)
    assert stopped_cleanly
    counts = stored_id_counts(scale_db)
    assert set(counts) == set(logged)
    assert worker.stats().written == 900


def test_redis_transport_settings_are_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PREDLEDGER_REDIS_URL", raising=False)
    with pytest.raises(ConfigurationError, match="PREDLEDGER_REDIS_URL"):
        Ledger(transport="redis", journal_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="transport='direct'"):
        Ledger(transport="redis", redis_url="redis://127.0.0.1:1/0", durability="sync")
    with pytest.raises(ConfigurationError, match="redis://host"):
        Ledger(transport="redis", redis_url="http://127.0.0.1:6379", journal_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="transport must be one of"):
        Ledger(transport="kafka", journal_dir=tmp_path)  # type: ignore[arg-type]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "predledger.cli", *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def test_worker_command_errors_are_one_line(own_redis: RedisServer, tmp_path: Path) -> None:
    own_redis.kill()
    down = _cli("worker", "--redis-url", own_redis.url,
                "--database-url", f"sqlite:///{tmp_path / 'w.db'}")  # fmt: skip
    assert down.returncode == 1
    assert down.stderr.startswith("error: cannot use Redis at")
    assert "predledger.cli" not in down.stderr
    assert "Traceback" not in down.stderr
    assert len(down.stderr.strip().splitlines()) == 1

    own_redis.start()
    status = _cli("worker", "--status", "--redis-url", own_redis.url)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["backlog"] == 0
