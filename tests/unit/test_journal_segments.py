"""Journal segments: mapped files that roll over, and what a dead process leaves behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from predledger.ingest.journal import Journal, claim_orphans, read_orphan, remove_orphan
from predledger.ingest.process_writer import complete_lines
from predledger.ingest.records import encode_line


def _line(n: int, size: int = 10) -> bytes:
    return encode_line({"k": "p", "id": f"id-{n}", "ts": n, "inputs": {"pad": "x" * size}})


def test_records_roll_over_segments_and_read_back_in_order(tmp_path: Path) -> None:
    journal = Journal(tmp_path, max_bytes=1 << 20, segment_bytes=4096, fsync="no")
    lines = [_line(n, 100) for n in range(100)] + [_line(100, 10_000)]  # the last is > 4096
    for line in lines:
        journal.append(line, block=False)
    assert journal.size == sum(map(len, lines))
    assert len(journal.own_paths()) > 3

    batch = journal.read(1000)
    assert [r["id"] for r in batch.records] == [f"id-{n}" for n in range(101)]
    assert batch.corrupt == 0
    journal.release(batch)
    assert journal.size == sum(map(len, lines)) - sum(s.size for s in batch.finished)
    journal.close(is_committed=lambda: True)
    assert not list(tmp_path.glob("*.jrnl"))


DIE_AFTER_APPENDING = """
import os, sys
from pathlib import Path
from predledger.ingest.journal import Journal
from predledger.ingest.records import encode_line
journal = Journal(Path(sys.argv[1]), max_bytes=1 << 20, segment_bytes=1 << 16, fsync="no")
for n in range(20):
    line = encode_line({"k": "p", "id": f"id-{n}", "ts": n, "inputs": {"n": n}})
    journal.append(line, block=False)
os._exit(0)  # no close, no flush: as if killed
"""


def test_a_dead_process_journal_is_replayed_whole_without_its_zeroed_end(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", DIE_AFTER_APPENDING, str(tmp_path)], check=True)
    [path] = tmp_path.glob("*.jrnl")
    assert path.stat().st_size == 1 << 16, "the mapped file keeps its full, zero-filled size"

    [orphan] = list(claim_orphans(tmp_path, set()))
    batches = list(read_orphan(orphan, batch_size=8))
    assert [r["id"] for records, _ in batches for r in records] == [f"id-{n}" for n in range(20)]
    assert sum(corrupt for _, corrupt in batches) == 0
    remove_orphan(orphan)
    assert not path.exists()


def test_a_ledger_closed_before_commit_leaves_a_trimmed_segment(tmp_path: Path) -> None:
    journal = Journal(tmp_path, max_bytes=1 << 20, segment_bytes=1 << 16, fsync="no")
    lines = [_line(n) for n in range(5)]
    for line in lines:
        journal.append(line, block=False)
    [path] = journal.own_paths()
    journal.close(is_committed=lambda: False)
    assert path.read_bytes() == b"".join(lines)


def test_a_writer_process_reads_only_lines_written_in_full(tmp_path: Path) -> None:
    first, second = _line(1), _line(2)
    # A copy may store a line's end before its middle: zero bytes inside mean "not yet".
    torn = second[:5] + b"\0" * (len(second) - 6) + b"\n"
    path = tmp_path / "segment"
    path.write_bytes(first + torn + b"\0" * 100)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert complete_lines(fd, 0, 10) == (first, False)
        path.write_bytes(first + second + b"\0" * 100)
        assert complete_lines(fd, 0, 10) == (first + second, True)
        assert complete_lines(fd, 0, 1) == (first, False)
        assert complete_lines(fd, len(first), 10) == (second, True)
    finally:
        os.close(fd)
