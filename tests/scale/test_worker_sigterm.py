"""SIGTERM mid-stream: the worker finishes its batch, acknowledges it and exits cleanly."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import redis
from stream_cluster import Children, wait_for_ids, wait_until

from support.db_checks import stored_id_counts


def _pending_of(redis_url: str, consumer: str) -> int:
    client = redis.Redis.from_url(redis_url)
    try:
        summary = client.xpending("predledger:records", "predledger-writers")
    except redis.ResponseError:  # the worker has not created the group yet
        return 0
    finally:
        client.close()
    return sum(int(c["pending"]) for c in summary["consumers"] if c["name"].decode() == consumer)


def test_sigterm_finishes_and_acknowledges_the_batch(children: Children, tmp_path: Path) -> None:
    worker = children.worker("term-1", claim_idle=60.0)
    ids = children.producer("term-p", tmp_path / "journal")
    wait_for_ids(ids, 1500)
    wait_until(lambda: _pending_of(children.redis_url, "term-1") > 0, "the worker mid-batch")

    worker.send_signal(signal.SIGTERM)
    assert worker.wait(60) == 0
    log = children.log_of("term-1")
    assert "stopped" in log
    assert "Traceback" not in log
    # Nothing left pending with the stopped worker: no claim timeout to wait out.
    assert _pending_of(children.redis_url, "term-1") == 0

    # The batch in hand was committed before the exit: the table holds what it reported.
    written = re.search(r"([\d,]+) rows written", log)
    assert written, log
    stored = stored_id_counts(children.database_url)
    assert len(stored) == int(written[1].replace(",", "")) > 0
