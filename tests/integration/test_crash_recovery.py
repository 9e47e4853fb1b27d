"""A process killed with SIGKILL mid-stream loses no acknowledged prediction."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from predledger import Ledger

from support.db_checks import query, stored_id_counts

CHILD = Path(__file__).parents[1] / "support" / "crash_child.py"


def _run_and_kill(url: str, journal_dir: Path, after_lines: int) -> list[str]:
    """Start a logging child, kill it after it printed ``after_lines`` ids, return them."""
    ids: list[str] = []
    with subprocess.Popen(
        [sys.executable, str(CHILD), url, str(journal_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as child:
        assert child.stdout is not None
        assert child.stderr is not None
        for raw in child.stdout:
            line = raw.decode().strip()
            if len(line) == 36:
                ids.append(line)
            if len(ids) >= after_lines:
                break
        child.send_signal(signal.SIGKILL)
        # Ids printed in full before the kill count too: the child printed them after log().
        rest = child.stdout.read().decode().split("\n")
        ids.extend(line for line in rest[:-1] if len(line) == 36)
        child.wait(timeout=30)
        errors = child.stderr.read().decode()
    assert child.returncode == -signal.SIGKILL, errors
    return ids


def test_killed_processes_lose_nothing_and_count_nothing_twice(
    database_url: str, journal_dir: Path
) -> None:
    acknowledged: list[str] = []
    for after in (3000, 1500, 4000, 2500):
        acknowledged += _run_and_kill(database_url, journal_dir, after)

    with Ledger(database_url, journal_dir=journal_dir) as ledger:
        assert ledger.flush(120)

    counts = stored_id_counts(database_url)
    missing = set(acknowledged) - set(counts)
    assert not missing, f"{len(missing)} acknowledged ids are missing"
    assert max(counts.values()) == 1
    total = sum(row["count"] for row in query(database_url, "SELECT count FROM prediction_rollups"))
    assert total == len(counts), "rollups counted a replayed record twice (or missed one)"
    assert not list(journal_dir.rglob("*.jrnl")), "replayed journals should be removed"
