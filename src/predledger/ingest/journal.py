"""The append-only journal: where a record lives from ``log()`` until its batch commits.

Each process appends to its own segment files, ``<start_ns>-<pid>-<seq>.jrnl``, holding an
exclusive ``flock`` on each until the segment is deleted. A segment whose lock can be
taken belongs to a process that died: its records are replayed and the file removed.
A segment is a file of fixed size mapped into memory (``MAP_SHARED``): appending a record
is a copy into the page cache, without a system call, so ``log()`` never lets go of the
GIL (a system call would, and then wait for the writer thread to hand it back). The page
cache belongs to the kernel, so a record copied in survives the process being killed; it
survives a power cut only with ``fsync="always"`` (or within a second with ``"everysec"``).
The unused end of a segment is zero bytes, which no encoded record contains.

Touching a page of a new segment for the first time costs a page fault (~4 us here, in
one call out of every seven). A thread of the journal maps each new segment's pages in one
go instead (``MADV_POPULATE_WRITE``, Linux 5.14+, through ctypes, which lets go of the
GIL), so ``log()`` finds them ready; once per segment, so the thread takes the GIL back
seldom. Elsewhere the appends fault as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import mmap
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from predledger.ingest.records import decode_lines

SEGMENT_SUFFIX = ".jrnl"
READ_CHUNK = 1 << 20
_PAGE = mmap.PAGESIZE
_MADV_POPULATE_WRITE = 23


def _find_madvise() -> Callable[[int, int, int], int] | None:
    """The C library's ``madvise`` through ctypes (which releases the GIL), on Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    function.restype = ctypes.c_int
    return function


_madvise = _find_madvise()


@dataclass
class Segment:
    """One journal file this process writes, and how far the writer has read it."""

    path: Path
    fd: int
    memory: mmap.mmap
    seq: int = 0
    size: int = 0
    read_offset: int = 0
    sealed: bool = False
    pending: bytes = b""
    address: int = 0  # where the mapping starts in this process's memory

    def discard(self, *, delete: bool) -> None:
        """Unmap and close; delete the file, or cut it to what was written and keep it."""
        self.memory.close()
        if delete:
            # Unlink while still holding the lock, so no scanner can take it for an orphan.
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        else:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, self.size)
        _close_fds(self.fd)


@dataclass
class JournalBatch:
    """Records read from the journal, and the segments they finish."""

    records: list[dict[str, Any]]
    finished: list[Segment] = field(default_factory=list)
    corrupt: int = 0


class JournalFullError(Exception):
    """The journal reached ``max_bytes``."""


class JournalClosedError(Exception):
    """The journal was closed; nothing more can be appended."""


class Journal:
    """This process's journal segments: appended by ``log()``, read back by the writer.

    Args:
        directory: the folder holding the segments (created if missing).
        max_bytes: the cap on this process's live segments; ``append`` refuses past it.
        segment_bytes: a segment is sealed and a new one begun past this size.
        fsync: ``"no"``, ``"everysec"`` (the caller runs ``sync_if_due``) or ``"always"``.
    """

    def __init__(self, directory: Path, *, max_bytes: int, segment_bytes: int, fsync: str) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.segment_bytes = max(4096, min(segment_bytes, max_bytes // 4 or 4096))
        self.fsync = fsync
        self._lock = threading.Lock()
        self.space_freed = threading.Condition(self._lock)
        self._segments: deque[Segment] = deque()
        self._seq = 0
        self._start_ns = time.time_ns()
        self._pid = os.getpid()
        self._bytes = 0
        self._dirty = False
        self._closed = False
        self._last_sync = time.monotonic()
        self._preparer = _PagePreparer(self) if _madvise is not None else None
        self._active = self._open_segment()

    @property
    def size(self) -> int:
        """Bytes held in this process's live segments."""
        return self._bytes

    @property
    def identity(self) -> tuple[int, int]:
        """``(start_ns, pid)``: with a sequence number, names each of this journal's segments."""
        return self._start_ns, self._pid

    def own_paths(self) -> set[Path]:
        """The segment files this process holds."""
        with self._lock:
            return {segment.path for segment in self._segments}

    def _open_segment(self, at_least: int = 0) -> Segment:
        self._seq += 1
        path = segment_path(self.directory, self._start_ns, self._pid, self._seq)
        temporary = path.with_suffix(".open")
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            # Lock before the file gets its final name, so no scanner takes it for an orphan.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            capacity = max(self.segment_bytes, at_least)
            os.ftruncate(fd, capacity)  # sparse: disk blocks come as pages are written
            memory = mmap.mmap(fd, capacity, flags=mmap.MAP_SHARED)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise
        os.rename(temporary, path)
        view = ctypes.c_char.from_buffer(memory)
        address = ctypes.addressof(view)
        del view  # a live view would keep the mapping from being closed
        segment = Segment(path=path, fd=fd, memory=memory, seq=self._seq, address=address)
        self._segments.append(segment)
        if self._preparer is not None:
            self._preparer.wanted.set()
        return segment

    def append(self, line: bytes, *, block: bool) -> None:
        """Append one encoded record (ending in a newline).

        Raises:
            JournalFullError: the journal is at its cap and ``block`` is false.
            JournalClosedError: the journal was closed.
        """
        with self._lock:
            if self._closed:
                raise JournalClosedError
            while self._bytes + len(line) > self.max_bytes:
                if not block:
                    raise JournalFullError
                self.space_freed.wait(0.5)
                if self._closed:
                    raise JournalClosedError
            size = len(line)
            active = self._active
            if active.size + size > len(active.memory):
                active.sealed = True
                active = self._active = self._open_segment(size)
            active.memory[active.size : active.size + size] = line
            active.size += size
            self._bytes += size
            if self.fsync == "always":
                os.fsync(active.fd)
            else:
                self._dirty = True

    def sync_if_due(self) -> None:
        """Flush the active segment to disk if a second has passed (``fsync="everysec"``)."""
        now = time.monotonic()
        if self.fsync != "everysec" or not self._dirty or now - self._last_sync < 1.0:
            return
        with self._lock:
            fd = self._active.fd
            self._dirty = False
        # fsync on the file writes back the pages written through the mapping too. Outside
        # the lock, so log() does not wait for the disk; a segment deleted meanwhile was
        # committed, so a failure then loses nothing.
        with contextlib.suppress(OSError):
            os.fsync(fd)
        self._last_sync = now

    def read(self, max_records: int) -> JournalBatch:
        """Read up to ``max_records`` complete records the writer has not read yet."""
        batch = JournalBatch(records=[])
        while len(batch.records) < max_records:
            with self._lock:
                if not self._segments:
                    break
                index = len(batch.finished)
                if index >= len(self._segments):
                    break
                segment = self._segments[index]
                sealed, size = segment.sealed, segment.size
            _read_segment(segment, size, max_records - len(batch.records), batch)
            if sealed and segment.read_offset >= size and not segment.pending:
                batch.finished.append(segment)
            else:
                break
        return batch

    def release(self, batch: JournalBatch) -> None:
        """Delete the segments a committed batch finished, freeing their bytes."""
        with self._lock:
            for segment in batch.finished:
                self._segments.remove(segment)
                self._bytes -= segment.size
            self.space_freed.notify_all()
        for segment in batch.finished:  # no longer listed: nothing else touches them
            segment.discard(delete=True)

    def release_before(self, seq: int) -> None:
        """Delete the sealed segments numbered below ``seq``: a writer process committed them."""
        with self._lock:
            finished = [s for s in self._segments if s.seq < seq and s.sealed]
            for segment in finished:
                self._segments.remove(segment)
                self._bytes -= segment.size
            self.space_freed.notify_all()
        for segment in finished:
            segment.discard(delete=True)

    def close(self, *, is_committed: Callable[[], bool]) -> None:
        """Refuse further appends and close every segment.

        Args:
            is_committed: asked once appends have stopped; when it answers true every
                record was committed and the segments are deleted, otherwise they stay
                for the next ledger on this folder to replay.
        """
        if self._preparer is not None:
            self._preparer.stop()
        with self._lock:
            self._closed = True
            segments = list(self._segments)
            self._segments.clear()
            delete = is_committed()
            self.space_freed.notify_all()
            for segment in segments:
                segment.discard(delete=delete)


class _PagePreparer:
    """A thread that maps each new segment's pages ready for writing."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.wanted = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(
            target=self._run, name="predledger-journal-pages", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """End the thread (the journal is closing)."""
        self._stopped = True
        self.wanted.set()
        self._thread.join(timeout=5.0)

    def _run(self) -> None:
        assert _madvise is not None
        journal = self.journal
        while True:
            self.wanted.wait()
            self.wanted.clear()
            if self._stopped:
                return
            with journal._lock:
                if not journal._segments:
                    continue
                segment = journal._segments[-1]  # the newest: the one appends go to
            length = len(segment.memory) // _PAGE * _PAGE
            # The GIL let go meanwhile: appends carry on. Populating never changes what a
            # page holds, so even a segment unmapped meanwhile comes to no harm.
            if _madvise(segment.address, length, _MADV_POPULATE_WRITE):
                return  # not supported here (an older kernel): the appends fault as before


def segment_path(directory: Path, start_ns: int, pid: int, seq: int) -> Path:
    """Where segment ``seq`` of the journal begun at ``start_ns`` by process ``pid`` lives.

    The next segment is created only once the previous one is sealed, so a reader that
    finds segment ``seq + 1`` knows segment ``seq`` will grow no more.
    """
    return directory / f"{start_ns}-{pid}-{seq:06d}{SEGMENT_SUFFIX}"


def _read_segment(segment: Segment, size: int, limit: int, batch: JournalBatch) -> None:
    while limit > 0 and (segment.read_offset < size or segment.pending):
        chunk = b""
        if segment.read_offset < size:
            end = min(size, segment.read_offset + READ_CHUNK)
            chunk = segment.memory[segment.read_offset : end]
            segment.read_offset = end
        data = segment.pending + chunk
        cut = nth_newline(data, limit)
        complete, segment.pending = data[:cut], data[cut:]
        if not complete:
            break
        records, corrupt = decode_lines(complete)
        batch.records.extend(records)
        batch.corrupt += corrupt
        limit -= len(records) + corrupt


def nth_newline(data: bytes, n: int, total: int | None = None) -> int:
    """The index just past the ``n``-th newline, or past the last one if there are fewer.

    ``total``, when the caller knows it, is how many newlines ``data`` holds.
    """
    if total is None:
        total = data.count(b"\n")
    if n >= total:
        return data.rfind(b"\n") + 1
    if n <= 0:
        return 0
    # Guess from the mean line length, then step to the exact newline: a few C-level
    # searches, where finding every newline one by one was a Python loop per line.
    position = len(data) * n // total
    seen = data.count(b"\n", 0, position)
    while seen >= n:
        position = data.rfind(b"\n", 0, position)  # data[:position] holds one fewer
        seen -= 1
    while seen < n:
        position = data.index(b"\n", position) + 1
        seen += 1
    return position


def _close_fds(*fds: int | None) -> None:
    for fd in fds:
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


@dataclass
class Orphan:
    """A segment left by a process that died, locked by us while we replay it."""

    path: Path
    fd: int


def claim_orphans(directory: Path, own: set[Path]) -> Iterator[Orphan]:
    """Yield each segment in ``directory`` whose owner is gone, locked for us."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob(f"*{SEGMENT_SUFFIX}")):
        if path in own:
            continue
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        if not path.exists():  # replayed and removed by another process meanwhile
            os.close(fd)
            continue
        yield Orphan(path=path, fd=fd)


def read_orphan(orphan: Orphan, batch_size: int) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """Yield an orphan's records in batches, with the count of unreadable lines.

    A torn last line (the process died mid-write) is not a record and is skipped.
    """
    offset = 0
    pending = b""
    while True:
        chunk = os.pread(orphan.fd, READ_CHUNK, offset)
        unused = chunk.find(b"\0")  # the zeroed end of a segment its process never filled
        if unused >= 0:
            chunk = chunk[:unused]
        if not chunk:
            break
        offset += len(chunk)
        data = pending + chunk
        cut = data.rfind(b"\n") + 1
        complete, pending = data[:cut], data[cut:]
        records, corrupt = decode_lines(complete)
        for start in range(0, max(len(records), 1), batch_size):
            yield records[start : start + batch_size], corrupt if start == 0 else 0
    if pending.strip():
        yield [], 1


def remove_orphan(orphan: Orphan) -> None:
    """Delete a replayed orphan segment and release its lock."""
    # Unlink while still holding the lock, so no scanner can take it for an orphan.
    with contextlib.suppress(FileNotFoundError):
        orphan.path.unlink()
    _close_fds(orphan.fd)
