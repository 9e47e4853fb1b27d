"""Workers killed mid-batch and producers killed mid-stream, repeatedly: still exactly once."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import redis
from stream_cluster import Children, read_ids, wait_drained, wait_for_ids, wait_until

from predledger import Ledger

from support.db_checks import rollups_match_raw_rows, stored_id_counts

ROUNDS = 3


def _holds_entries(redis_url: str, consumer: str) -> bool:
    """Whether ``consumer`` has read entries it has not acknowledged yet (mid-batch)."""
    client = redis.Redis.from_url(redis_url)
    try:
        summary = client.xpending("predledger:records", "predledger-writers")
    except redis.ResponseError:
        return False
    finally:
        client.close()
    return any(
        c["name"].decode() == consumer and int(c["pending"]) > 0 for c in summary["consumers"]
    )


def test_kill_9_workers_and_producers_repeatedly(children: Children, tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    workers = {"k-a0": children.worker("k-a0"), "k-b0": children.worker("k-b0")}
    id_files: list[Path] = []
    for round_ in range(ROUNDS):
        # Each new replica also replays, through the stream, what the last one left.
        producer = children.producer(f"r{round_}-p", journal)
        id_files.append(producer)
        wait_for_ids(producer, 1000)

        victim = f"k-a{round_}"
        wait_until(lambda name=victim: _holds_entries(children.redis_url, name), "a busy worker")
        workers.pop(victim).send_signal(signal.SIGKILL)
        workers[f"k-a{round_ + 1}"] = children.worker(f"k-a{round_ + 1}")

        wait_for_ids(producer, len(read_ids(producer)) + 1000)
        children.process_of(producer).send_signal(signal.SIGKILL)
        children.process_of(producer).wait(30)

    acknowledged = {i for path in id_files for i in read_ids(path)}
    # A new replica on the same journal folder replays what the killed ones left.
    with Ledger(transport="redis", redis_url=children.redis_url, journal_dir=journal) as ledger:
        assert ledger.flush(90)
    wait_drained(children.redis_url)

    counts = stored_id_counts(children.database_url)
    missing = acknowledged - set(counts)
    assert not missing, f"{len(missing)} acknowledged ids are missing"
    assert max(counts.values()) == 1
    rollups, raw = rollups_match_raw_rows(children.database_url)
    assert rollups == raw, "rollups counted a redelivered record twice (or missed one)"
    assert not list(journal.rglob("*.jrnl")), "replayed journals should be removed"

    claimed = 0
    for name, worker in workers.items():
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(60) == 0
        found = re.search(r"([\d,]+) entries claimed", children.log_of(name))
        assert found, children.log_of(name)
        claimed += int(found[1].replace(",", ""))
    assert claimed > 0, "the killed workers' pending entries should have been claimed"
