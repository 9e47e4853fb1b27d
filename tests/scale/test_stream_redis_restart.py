"""Redis killed and restarted empty mid-stream: producers keep returning, nothing is lost.

The private redis-server runs without persistence, so the restart loses the stream, the
consumer group and the workers' confirmations. Producers keep each batch in their
journal until a worker confirmed it, notice the loss, and append their batches again.
"""

from __future__ import annotations

from pathlib import Path

from stream_cluster import Children, read_ids, wait_for_ids, wait_until

from support.db_checks import rollups_match_raw_rows, stored_id_counts
from support.redis_server import RedisServer


def test_redis_restart_loses_nothing(
    children: Children, own_redis: RedisServer, tmp_path: Path
) -> None:
    stop = tmp_path / "stop"
    journal = tmp_path / "journal"
    children.worker("rr-1")
    children.worker("rr-2")
    id_files = [children.producer(f"rr-p{n}", journal, stop_file=stop) for n in range(2)]
    for path in id_files:
        wait_for_ids(path, 1500)

    own_redis.kill()
    during = [len(read_ids(path)) for path in id_files]
    for path, before in zip(id_files, during, strict=True):
        wait_for_ids(path, before + 2000)  # log() keeps returning while Redis is away
    own_redis.start()

    after = [len(read_ids(path)) for path in id_files]
    for path, before in zip(id_files, after, strict=True):
        wait_for_ids(path, before + 1000)
    stop.touch()
    producers = [children.process_of(path) for path in id_files]
    wait_until(lambda: all(p.poll() is not None for p in producers), "the producers to close", 90)
    for path, process in zip(id_files, producers, strict=True):
        assert process.returncode == 0, children.log_of(path.stem)

    logged = {i for path in id_files for i in read_ids(path)}
    counts = stored_id_counts(children.database_url)
    assert set(counts) == logged, f"{len(logged - set(counts))} logged ids are missing"
    assert max(counts.values()) == 1
    rollups, raw = rollups_match_raw_rows(children.database_url)
    assert rollups == raw
    assert not list(journal.rglob("*.jrnl")), "every journal should be released"
