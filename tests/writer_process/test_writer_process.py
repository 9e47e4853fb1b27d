"""The writer in a process of its own: restarted when it dies, gone when its parent dies."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from predledger import Ledger
from predledger.errors import ConfigurationError

from support.db_checks import query, stored_id_counts


def _writer_processes(parent: int, exclude: set[int]) -> list[psutil.Process]:
    found = []
    for child in psutil.Process(parent).children():
        try:
            if (
                child.pid not in exclude
                and child.status() != psutil.STATUS_ZOMBIE
                and "child_main" in " ".join(child.cmdline())
            ):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def _wait_for_writer(
    parent: int, timeout: float = 30.0, exclude: set[int] | None = None
) -> psutil.Process:
    """The writer process of ``parent``, other than those in ``exclude`` (killed ones)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        writers = _writer_processes(parent, exclude or set())
        if writers:
            return writers[0]
        time.sleep(0.05)
    raise AssertionError(f"process {parent} started no writer process within {timeout} s")


def _ledger_writer(ledger: Ledger, exclude: set[int], timeout: float = 30.0) -> psutil.Process:
    """This ledger's live writer process, other than those in ``exclude`` (killed ones).

    Other tests' ledgers in this process may have writer processes of their own.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = ledger.writer_pid
        if pid is not None and pid not in exclude:
            return psutil.Process(pid)
        time.sleep(0.05)
    raise AssertionError(f"no new writer process within {timeout} s")


def _log(ledger: Ledger, start: int, count: int) -> list[str]:
    return [
        ledger.log(model="m", version="1", inputs={"x": float(i)}, label=str(i % 3), latency_ms=1.0)
        for i in range(start, start + count)
    ]


def test_a_killed_writer_process_is_replaced_and_nothing_is_lost_or_doubled(
    database_url: str, journal_dir: Path
) -> None:
    logged: list[str] = []
    with Ledger(database_url, journal_dir=journal_dir, writer="process", batch_size=300) as ledger:
        killed: set[int] = set()
        for round_ in range(3):
            writer = _ledger_writer(ledger, exclude=killed)
            written_before = ledger.stats().written
            logged += _log(ledger, round_ * 4000, 4000)
            # Kill it while it works through the backlog: mid-batch, maybe mid-commit.
            deadline = time.monotonic() + 30
            while ledger.stats().written == written_before and time.monotonic() < deadline:
                time.sleep(0.01)
            writer.send_signal(signal.SIGKILL)
            writer.wait(timeout=10)
            killed.add(writer.pid)
        assert ledger.flush(120)
        stats = ledger.stats()
    assert stats.retried >= 3, "each death of the writer process is counted as a retry"
    assert stats.written == len(logged)
    counts = stored_id_counts(database_url)
    assert set(counts) == set(logged)
    assert max(counts.values()) == 1
    total = sum(row["count"] for row in query(database_url, "SELECT count FROM prediction_rollups"))
    assert total == len(logged), "a batch the dead writer committed was counted again"


PARENT = textwrap.dedent(
    """
    import sys
    from predledger import Ledger

    ledger = Ledger(sys.argv[1], journal_dir=sys.argv[2], writer="process")
    for i in range(2000):
        print(ledger.log(model="m", version="1", inputs={"x": i}), flush=True)
    print("logged", flush=True)
    sys.stdin.read()  # wait to be killed
    """
)


def test_the_writer_process_exits_when_its_parent_is_killed(
    sqlite_url: str, journal_dir: Path
) -> None:
    ids = []
    with subprocess.Popen(
        [sys.executable, "-c", PARENT, sqlite_url, str(journal_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    ) as parent:
        assert parent.stdout is not None
        for raw in parent.stdout:
            line = raw.decode().strip()
            if line == "logged":
                break
            ids.append(line)
        writer = _wait_for_writer(parent.pid)
        parent.kill()
        parent.wait(timeout=10)
    writer.wait(timeout=10)  # raises psutil.TimeoutExpired if it outlives its parent

    with Ledger(sqlite_url, journal_dir=journal_dir, writer="thread") as ledger:
        assert ledger.flush(60)
    counts = stored_id_counts(sqlite_url)
    assert set(counts) == set(ids)
    assert max(counts.values()) == 1


def test_committed_segments_are_deleted_so_a_small_journal_keeps_flowing(
    sqlite_url: str, journal_dir: Path
) -> None:
    # A 256 KiB cap holds about a thousand of these records: logging 20,000 can only
    # finish if the writer process commits them and the parent frees their segments.
    with Ledger(
        sqlite_url, journal_dir=journal_dir, writer="process",
        max_journal_bytes=256 * 1024, on_full="block",
    ) as ledger:  # fmt: skip
        logged = _log(ledger, 0, 20_000)
        assert ledger.flush(60)
        stats = ledger.stats()
    assert stats.dropped == 0
    assert stats.journal_bytes <= 256 * 1024
    assert len(stored_id_counts(sqlite_url)) == len(logged)


def test_the_writer_choice_is_checked(
    sqlite_url: str, journal_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match="writer='thread'"):
        Ledger(sqlite_url, journal_dir=journal_dir, durability="memory", writer="process")
    with pytest.raises(ConfigurationError, match="writer must be one of thread, process"):
        Ledger(sqlite_url, journal_dir=journal_dir, writer="fork")  # type: ignore[arg-type]
    monkeypatch.setenv("PREDLEDGER_WRITER", "fork")
    with pytest.raises(ConfigurationError, match="PREDLEDGER_WRITER"):
        Ledger(sqlite_url, journal_dir=journal_dir)
    # The environment's preference gives way where a process cannot work.
    monkeypatch.setenv("PREDLEDGER_WRITER", "process")
    with Ledger(sqlite_url, journal_dir=journal_dir, durability="memory") as ledger:
        ledger.log(model="m", version="1")
        assert ledger.flush(30)
