"""The writer in a process of its own, tailing the journal its ledger appends to.

A ledger's ``log()`` and a writer thread in the same process share one GIL: each record
the writer decodes, aggregates and inserts is time the request thread cannot run. With
``writer="process"`` the ledger starts a child process that reads the ledger's journal
segments straight from their files, writes them with the same ``Writer`` a thread would
use, and reports over a pipe how far it has committed. The parent keeps only what is
cheap: appending to the journal, deleting segments once the child committed them, and
the counters ``flush()`` and ``stats()`` read.

Reading another process's segments: a segment is a file of zero bytes that the parent
fills from the start through a shared mapping. A line is complete when it ends with a
newline and no zero byte comes before it (a copy may store a line's end before its
middle). Segment ``n + 1`` is created only after segment ``n`` is sealed, so once it
exists segment ``n`` will not grow. The child reports each batch's end before it
commits (``taken``) and after (``done``); if the child dies, a new one starts from the
last ``done`` and checks the records up to the last ``taken`` against the database
(the dead child may have committed them). If the parent dies, the child exits at once
and the parent's segments are replayed like any dead process's journal.

Messages are JSON lines. Child to parent: ``replayed`` (start-up replay finished),
``taken``/``done`` (positions), ``counts`` (own, written, rejected), ``error``,
``replayed_rows``, ``corrupt``, ``stopped``. Parent to child: a first line holding the
settings, then one line per command: ``w`` wake up, ``s`` stop once drained, ``g`` give
up, ``L`` and JSON: write the JSON log files with these settings (``null``: stop).
"""

from __future__ import annotations

import contextlib
import gc
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.engine import URL

import predledger
from predledger.ingest.journal import READ_CHUNK, Journal, nth_newline, segment_path
from predledger.ingest.records import decode_lines
from predledger.ingest.stats import Counters
from predledger.logfiles import LogFileSettings

Position = tuple[int, int]  # (segment number, byte offset in it)
WAKE, STOP, GIVE_UP, LOG_FILES = b"w\n", b"s\n", b"g\n", b"L"
# The first read of a batch asks for its lines at the length seen last, plus this slack.
_LINE_SLACK = 64 << 10
_MAX_FIRST_READ = 64 << 20
_WAKE_EVERY = 0.05  # seconds: a busy writer process needs no wake-up; log() asks this seldom
_CHILD_COMMAND = (
    "import sys; from predledger.ingest.process_writer import child_main; "
    "sys.exit(child_main(int(sys.argv[1]), int(sys.argv[2])))"
)


@dataclass(frozen=True)
class ChildSettings:
    """What a writer process needs to know, sent as its first line."""

    url: str
    journal_dir: str
    start_ns: int
    pid: int
    batch_size: int
    flush_interval: float
    retry_max_delay: float
    orphan_scan_interval: float
    auto_upgrade: bool
    resume: Position
    dedupe_until: Position
    log_files: dict[str, Any] | None = None


class _Command:
    """An event in the parent whose ``set()`` also tells the child."""

    def __init__(self, send: Callable[[bytes], None], line: bytes) -> None:
        self._send = send
        self._line = line
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()
        self._send(self._line)

    def is_set(self) -> bool:
        return self._event.is_set()


class _Wake:
    """``wake.set()`` for the parent: a byte to the child, at most every couple of ms."""

    def __init__(self, send: Callable[[bytes], None]) -> None:
        self._send = send
        self._last = 0.0

    def set(self) -> None:
        now = time.monotonic()
        if now - self._last >= _WAKE_EVERY:
            self._last = now
            self._send(WAKE)


class ProcessWriter:
    """The parent's side: starts the writer process, restarts it, and applies its reports.

    It answers what ``Ledger`` asks of a writer thread (``wake``, ``stopping``,
    ``give_up``, ``startup_replay_done``, ``clean_exit``, ``is_alive``, ``join``).
    """

    def __init__(
        self,
        *,
        journal: Journal,
        counters: Counters,
        url: str | URL,
        batch_size: int,
        flush_interval: float,
        retry_max_delay: float,
        orphan_scan_interval: float,
        auto_upgrade: bool,
    ) -> None:
        self.journal = journal
        self.counters = counters
        start_ns, pid = journal.identity
        if not isinstance(url, str):  # a SQLAlchemy URL: keep its password for the child
            url = url.render_as_string(hide_password=False)
        self._settings = ChildSettings(
            url=url, journal_dir=str(journal.directory), start_ns=start_ns, pid=pid,
            batch_size=batch_size, flush_interval=flush_interval,
            retry_max_delay=retry_max_delay, orphan_scan_interval=orphan_scan_interval,
            auto_upgrade=auto_upgrade, resume=(1, 0), dedupe_until=(1, 0),
        )  # fmt: skip
        self._command_fd: int | None = None
        self._command_lock = threading.Lock()
        self.wake = _Wake(self._send)
        self.stopping = _Command(self._send, STOP)
        self.give_up = _Command(self._send, GIVE_UP)
        self.startup_replay_done = threading.Event()
        self.clean_exit = False
        self.restarts = 0
        self._done: Position = (1, 0)
        self._taken: Position = (1, 0)
        self._child: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(
            target=self._supervise, name="predledger-writer-process", daemon=True
        )

    def start(self) -> None:
        """Start the writer process and the thread that watches it."""
        self._thread.start()

    @property
    def pid(self) -> int | None:
        """The running writer process's id (a new one after a restart)."""
        child = self._child
        return None if child is None or child.returncode is not None else child.pid

    def is_alive(self) -> bool:
        """Whether a writer process is (or will again be) running."""
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the writer process to stop; past ``timeout`` it is killed.

        Whatever it had not committed stays in the journal for the next ledger.
        """
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.give_up.set()  # so the watching thread starts no new one
            child = self._child
            if child is not None:
                with contextlib.suppress(OSError):
                    child.kill()
            self._thread.join(5.0)

    # -- talking to the child ---------------------------------------------------------

    def write_log_files(self, settings: LogFileSettings | None) -> None:
        """Have the writer process write the JSON log files (``None``: stop)."""
        fields = None if settings is None else settings.to_json()
        with self._command_lock:
            self._settings = replace(self._settings, log_files=fields)
            self._send_locked(LOG_FILES + orjson.dumps(fields) + b"\n")

    def _send(self, line: bytes) -> None:
        with self._command_lock:
            self._send_locked(line)

    def _send_locked(self, line: bytes) -> None:
        fd = self._command_fd
        if fd is None:
            return
        # Never blocks: a full pipe already holds a wake-up, and every other command is
        # sent again (or is in the settings) when a new child is started.
        with contextlib.suppress(OSError):
            os.write(fd, line)

    def _spawn(self) -> tuple[subprocess.Popen[bytes], int]:
        command_read, command_write = os.pipe()
        report_read, report_write = os.pipe()
        package_root = str(Path(predledger.__file__).resolve().parent.parent)
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, environment.get("PYTHONPATH")) if p
        )
        try:
            child = subprocess.Popen(
                [sys.executable, "-c", _CHILD_COMMAND, str(command_read), str(report_write)],
                pass_fds=(command_read, report_write),
                stdin=subprocess.DEVNULL,
                env=environment,
                start_new_session=True,  # the terminal's Ctrl-C reaches the parent only
            )  # fmt: skip
        except BaseException:
            for fd in (command_read, command_write, report_read, report_write):
                os.close(fd)
            raise
        os.close(command_read)
        os.close(report_write)
        with self._command_lock:  # write_log_files() sees either the old pipe or the new
            settings = replace(self._settings, resume=self._done, dedupe_until=self._taken)
            os.write(command_write, orjson.dumps(vars(settings), option=orjson.OPT_APPEND_NEWLINE))
            os.set_blocking(command_write, False)
            self._command_fd = command_write
        if self.stopping.is_set():  # a new child after a crash during close()
            self._send(STOP)
        if self.give_up.is_set():
            self._send(GIVE_UP)
        self._child = child
        return child, report_read

    # -- the watching thread ----------------------------------------------------------

    def _supervise(self) -> None:
        try:
            while True:
                try:
                    child, reports = self._spawn()
                except Exception as exc:  # retried like any write failure
                    self.counters.record_error(f"cannot start the writer process: {exc}")
                else:
                    stopped_clean = self._follow(reports)
                    exit_code = child.wait()
                    self._close_command_pipe()
                    if stopped_clean or self.give_up.is_set():
                        return
                    if self.stopping.is_set() and exit_code == 0:
                        return
                    self.counters.record_error(
                        f"the writer process stopped (exit code {exit_code}); starting a new one"
                    )
                if self.give_up.is_set():
                    return
                self.restarts += 1
                self._pause(min(self._settings.retry_max_delay, 0.05 * 2 ** min(self.restarts, 8)))
        finally:
            self._close_command_pipe()
            self.startup_replay_done.set()
            with self.counters.lock:
                self.counters.committed_cond.notify_all()

    def _pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.give_up.is_set():
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def _close_command_pipe(self) -> None:
        with self._command_lock:
            fd, self._command_fd = self._command_fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _follow(self, fd: int) -> bool:
        """Apply the child's reports until it exits; true if it stopped cleanly."""
        pending = b""
        clean = False
        try:
            while True:
                ready, _, _ = select.select([fd], [], [], 0.5)
                self.journal.sync_if_due()
                if not ready:
                    continue
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return clean
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    clean = self._apply(orjson.loads(line)) or clean
        finally:
            os.close(fd)

    def _apply(self, message: dict[str, Any]) -> bool:
        kind = message["t"]
        c = self.counters
        if kind == "counts":
            c.record_done(own=message["own"], written=message["written"],
                          rejected=message["rejected"])  # fmt: skip
        elif kind == "taken":
            self._taken = max(self._taken, tuple(message["at"]))
        elif kind == "done":
            done: Position = tuple(message["at"])
            self._done = max(self._done, done)
            self.journal.release_before(done[0])
        elif kind == "error":
            c.record_error(message["message"])
        elif kind == "replayed_rows":
            c.add_replayed(message["count"])
        elif kind == "corrupt":
            c.add_corrupt(message["count"])
        elif kind == "replayed":
            self.startup_replay_done.set()
        elif kind == "stopped":
            self.clean_exit = bool(message["clean"])
            return self.clean_exit
        return False


# -- the child's side ----------------------------------------------------------------------


class _Reporter:
    """Sends JSON lines to the parent; exits the process if the parent is gone."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        data = orjson.dumps(message, option=orjson.OPT_APPEND_NEWLINE)
        with self._lock:
            try:
                while data:
                    data = data[os.write(self._fd, data) :]
            except (BrokenPipeError, OSError):
                os._exit(0)  # the parent died: its journal will be replayed by whoever opens it


class _ReportingCounters(Counters):
    """The child's counters: every change is also sent to the parent."""

    def __init__(self, reporter: _Reporter) -> None:
        super().__init__()
        self.reporter = reporter

    def record_error(self, message: str) -> None:
        super().record_error(message)
        self.reporter.send({"t": "error", "message": message})

    def record_done(self, *, own: int, written: int, rejected: int = 0) -> None:
        super().record_done(own=own, written=written, rejected=rejected)
        self.reporter.send({"t": "counts", "own": own, "written": written, "rejected": rejected})

    def add_replayed(self, count: int) -> None:
        super().add_replayed(count)
        self.reporter.send({"t": "replayed_rows", "count": count})

    def add_corrupt(self, count: int) -> None:
        super().add_corrupt(count)
        self.reporter.send({"t": "corrupt", "count": count})


class _ReportingEvent(threading.Event):
    """``startup_replay_done`` in the child: the first ``set()`` tells the parent."""

    def __init__(self, reporter: _Reporter) -> None:
        super().__init__()
        self.reporter = reporter

    def set(self) -> None:
        if not self.is_set():
            super().set()
            self.reporter.send({"t": "replayed"})


@dataclass
class _Span:
    start: Position
    end: Position


class TailSource:
    """The parent's journal segments, read in order while the parent appends to them.

    A thread of its own reads and decodes the next batch while the writer commits the
    last one: the database's own work lets go of the GIL, so the two overlap.
    """

    def __init__(
        self,
        settings: ChildSettings,
        reporter: _Reporter,
        counters: Counters,
        on_ready: Callable[[], None],
    ) -> None:
        self.directory = Path(settings.journal_dir)
        self.start_ns, self.pid = settings.start_ns, settings.pid
        self.seq, self.offset = settings.resume
        self.batch_size = settings.batch_size
        self.poll_interval = settings.flush_interval
        self.dedupe_until = settings.dedupe_until
        self.reporter = reporter
        self.counters = counters
        self.on_ready = on_ready
        # Builds a batch's rows ahead (BulkWriter.prepare) while the last one is written.
        self.prepare: Callable[[list[dict[str, Any]]], None] | None = None
        self._line_bytes = 1024  # mean journal line length, learnt as lines are read
        self._fd: int | None = None
        self._handed: Position = settings.resume
        self._reported: Position = settings.resume
        self._ready: queue.Queue[tuple[list[dict[str, Any]], _Span]] = queue.Queue(maxsize=1)
        self._more = threading.Event()
        threading.Thread(target=self._read_ahead, name="predledger-read-ahead", daemon=True).start()

    def poke(self) -> None:
        """The parent appended records: look again now rather than at the next poll."""
        self._more.set()

    def put(self, record: dict[str, Any], line: bytes, *, block: bool) -> None:
        raise NotImplementedError("the writer process reads its parent's journal")

    def take(self, max_records: int) -> tuple[list[dict[str, Any]], object]:
        del max_records  # batches are read ahead at the writer's batch size
        try:
            records, span = self._ready.get_nowait()
        except queue.Empty:
            return [], _Span(self._handed, self._handed)
        self._handed = span.end
        if records:
            self.reporter.send({"t": "taken", "at": span.end})
        return records, span

    def release(self, token: object) -> None:
        assert isinstance(token, _Span)
        if token.end > self._reported:
            self._reported = token.end
            self.reporter.send({"t": "done", "at": token.end})

    def needs_dedupe(self, token: object) -> bool:
        assert isinstance(token, _Span)
        return token.start < self.dedupe_until

    def byte_size(self) -> int:
        return 0

    # -- the read-ahead thread --------------------------------------------------------

    def _read_ahead(self) -> None:
        try:
            self._read_forever()
        except Exception as exc:  # a bug: the parent starts a new writer process
            self.reporter.send({"t": "error", "message": f"the journal reader failed: {exc!r}"})
            os._exit(1)

    def _read_forever(self) -> None:
        while True:
            start = (self.seq, self.offset)
            records = self._read(self.batch_size)
            end = (self.seq, self.offset)
            if end > start:
                if records and self.prepare is not None:
                    self.prepare(records)
                self._ready.put((records, _Span(start, end)))  # waits while one is queued
                self.on_ready()
            if len(records) < self.batch_size:
                self._more.wait(self.poll_interval)
                self._more.clear()

    def _read(self, max_records: int) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        while len(records) < max_records:
            fd = self._open()
            if fd is None:  # not created yet (or deleted already: an earlier segment)
                if self._path(self.seq + 1).exists():
                    self._advance()
                    continue
                break
            # Looked at before reading: if the next segment exists, this one is complete.
            sealed = self._path(self.seq + 1).exists()
            wanted = max_records - len(records)
            first_read = min(_MAX_FIRST_READ, wanted * self._line_bytes + _LINE_SLACK)
            data, at_end = complete_lines(fd, self.offset, wanted, first_read)
            if data:
                decoded, corrupt = decode_lines(data)
                if len(decoded) > 100:  # a fair sample of this journal's line length
                    self._line_bytes = len(data) // len(decoded) + 1
                records.extend(decoded)
                if corrupt:
                    self.counters.add_corrupt(corrupt)
                self.offset += len(data)
            if not (sealed and at_end):
                break
            self._advance()
        return records

    def _path(self, seq: int) -> Path:
        return segment_path(self.directory, self.start_ns, self.pid, seq)

    def _open(self) -> int | None:
        if self._fd is None:
            try:
                self._fd = os.open(self._path(self.seq), os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                return None
        return self._fd

    def _advance(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.seq += 1
        self.offset = 0


def complete_lines(
    fd: int, offset: int, limit: int, first_read: int = READ_CHUNK
) -> tuple[bytes, bool]:
    """Up to ``limit`` complete lines from ``offset``, and whether they are all there is.

    ``first_read`` is how many bytes to ask for at first: enough for ``limit`` lines of
    the length seen last, so a batch is one read and no joining of pieces.
    """
    chunks: list[bytes] = []
    newlines = 0
    position = offset
    size = first_read
    while True:
        chunk = os.pread(fd, size, position)
        unwritten = chunk.find(b"\0")
        end_of_data = unwritten >= 0 or len(chunk) < size
        if unwritten >= 0:
            chunk = chunk[:unwritten]
        chunks.append(chunk)
        position += len(chunk)
        newlines += chunk.count(b"\n")
        if end_of_data or newlines >= limit:
            break
        size = READ_CHUNK
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    cut = nth_newline(data, limit, newlines)
    return data[:cut] if cut < len(data) else data, end_of_data and cut == len(data)


def _listen(fd: int, writer: Any, source: TailSource, first: bytes) -> None:
    """Apply the parent's commands; the parent gone means this process must go too."""
    pending = first
    while True:
        *lines, pending = pending.split(b"\n")
        for line in lines:
            _apply_command(line, writer)
        source.poke()
        writer.wake.set()
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            os._exit(0)  # the parent died: its journal will be replayed by whoever opens it
        pending += data


def _apply_command(line: bytes, writer: Any) -> None:
    if line == GIVE_UP.strip():
        writer.give_up.set()
    elif line == STOP.strip():
        writer.stopping.set()
    elif line.startswith(LOG_FILES):
        _use_log_files(writer, orjson.loads(line[len(LOG_FILES) :]))


def _use_log_files(writer: Any, fields: dict[str, Any] | None) -> None:
    from predledger.logfiles import LogFileSettings, LogFileWriter

    previous = writer.log_files
    writer.log_files = None if fields is None else LogFileWriter(LogFileSettings.from_json(fields))
    if previous is not None:
        previous.close()


def _read_settings(fd: int) -> tuple[ChildSettings, bytes]:
    """The settings line, and the commands that came after it in the same read."""
    data = b""
    while b"\n" not in data:
        chunk = os.read(fd, 4096)
        if not chunk:
            os._exit(0)
        data += chunk
    line, _, rest = data.partition(b"\n")
    fields = orjson.loads(line)
    fields["resume"] = tuple(fields["resume"])
    fields["dedupe_until"] = tuple(fields["dedupe_until"])
    return ChildSettings(**fields), rest


def child_main(command_fd: int, report_fd: int) -> int:
    """The writer process: write the parent's journal until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    reporter = _Reporter(report_fd)
    settings, commands = _read_settings(command_fd)

    from predledger.ingest.bulk import build_bulk_writer
    from predledger.ingest.writer import Writer, describe_store_error
    from predledger.ops.partitions import prepare_partitions
    from predledger.store.engine import Store
    from predledger.store.migrate import ensure_schema

    store = Store(settings.url)
    counters = _ReportingCounters(reporter)

    def prepare() -> None:
        ensure_schema(store, auto_upgrade=settings.auto_upgrade)
        prepare_partitions(store)

    wake = threading.Event()
    source = TailSource(settings, reporter, counters, on_ready=wake.set)
    bulk = build_bulk_writer(store.engine)
    source.prepare = bulk.prepare
    writer = Writer(
        bulk=bulk,
        source=source,
        counters=counters,
        prepare=prepare,
        describe_error=lambda exc: describe_store_error(store, exc),
        batch_size=settings.batch_size,
        flush_interval=settings.flush_interval,
        retry_max_delay=settings.retry_max_delay,
        journal_dir=Path(settings.journal_dir),
        own_paths=set,  # the parent holds its segments' locks: never taken for orphans
        orphan_scan_interval=settings.orphan_scan_interval,
    )
    writer.wake = wake
    writer.startup_replay_done = _ReportingEvent(reporter)
    if settings.log_files is not None:
        _use_log_files(writer, settings.log_files)
    listener = threading.Thread(
        target=_listen, args=(command_fd, writer, source, commands), daemon=True
    )
    listener.start()
    # What is loaded by now lives as long as the process: spare the collector walking it
    # again each time thousands of a batch's records push it into a full collection.
    gc.freeze()
    writer.run()
    store.dispose()
    reporter.send({"t": "stopped", "clean": writer.clean_exit})
    return 0
