"""Four replicas and two workers: every prediction stored once, rollups counted once."""

from __future__ import annotations

import signal
from pathlib import Path

from stream_cluster import Children, read_ids, wait_drained, wait_until

from support.db_checks import query, rollups_match_raw_rows, stored_id_counts

PER_PRODUCER = 2500


def _worker_connections(url: str) -> int:
    rows = query(
        url,
        "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE :name",
        name="predledger-worker:eo-%",
    )
    return int(rows[0]["n"])


def test_four_producers_two_workers_store_each_id_once(children: Children, tmp_path: Path) -> None:
    workers = [children.worker("eo-1"), children.worker("eo-2")]
    ids_files = [
        children.producer(f"producer-{n}", tmp_path / "journal", PER_PRODUCER) for n in range(4)
    ]
    producers = [children.process_of(path) for path in ids_files]

    most_connections = 0

    def producers_done() -> bool:
        nonlocal most_connections
        most_connections = max(most_connections, _worker_connections(children.database_url))
        return all(p.poll() is not None for p in producers)

    wait_until(producers_done, "the producers to log and close", 100)
    for path, process in zip(ids_files, producers, strict=True):
        assert process.returncode == 0, children.log_of(path.stem)
        assert "closed True" in children.log_of(path.stem)

    logged = [i for path in ids_files for i in read_ids(path)]
    assert len(logged) == 4 * PER_PRODUCER
    counts = stored_id_counts(children.database_url)
    assert set(counts) == set(logged), "stored ids differ from the ids log() returned"
    assert max(counts.values()) == 1
    rollups, raw = rollups_match_raw_rows(children.database_url)
    assert rollups == raw
    assert sum(row[4] for row in rollups) == len(logged)

    status = wait_drained(children.redis_url)
    assert status["pending"] == 0
    assert status["consumers"] == 2
    wait_until(lambda: wait_drained(children.redis_url)["length"] == 0, "the stream trimmed")
    assert 0 < most_connections <= 4, "each worker holds at most two connections"

    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for name, worker in zip(("eo-1", "eo-2"), workers, strict=True):
        assert worker.wait(60) == 0
        assert "stopped" in children.log_of(name)
        assert "Traceback" not in children.log_of(name)
