"""Rotating JSON log files: ``predictions.log`` and ``api_requests.log``, one object a line.

Lines are handed to a background thread, so a request pays for one ``orjson.dumps`` and
a queue put, never for a disk write. A file past ``max_bytes`` is renamed to ``.1`` (the
older ``.1`` to ``.2`` and so on, keeping ``backups`` of them), as Python's
``RotatingFileHandler`` does. Several processes may share one folder: rotation happens
under an exclusive ``flock`` and a writer that finds its file renamed reopens the new one.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import orjson

from predledger.errors import ConfigurationError

if TYPE_CHECKING:
    from predledger.ingest.ledger import Ledger

PREDICTIONS_LOG: Final = "predictions.log"
API_REQUESTS_LOG: Final = "api_requests.log"
_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
_QUEUE_CAP = 100_000


@dataclass(frozen=True)
class LogFileSettings:
    """Where the JSON log files go and how big they grow.

    Attributes:
        directory: the folder of the files (created when missing).
        max_bytes: a file is rotated once it grows past this size.
        backups: rotated files kept per log (``.1`` ... ``.N``).
        enabled: write the files at all.
    """

    directory: Path = Path("logs")
    max_bytes: int = 10 * 1024 * 1024
    backups: int = 5
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.max_bytes < 1024:
            raise ConfigurationError(f"log max_bytes must be at least 1024, got {self.max_bytes}")
        if self.backups < 0:
            raise ConfigurationError(f"log backups must be 0 or more, got {self.backups}")


class RotatingJsonFile:
    """One JSON-lines file that rotates by size; safe across threads and processes.

    Args:
        path: the live file.
        max_bytes: rotate once the file is larger than this.
        backups: rotated copies kept.
    """

    def __init__(self, path: Path, *, max_bytes: int, backups: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock_path = path.with_name(f".{path.name}.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = self._open()

    def _open(self) -> int:
        return os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)

    def write(self, lines: list[bytes]) -> None:
        """Append whole lines, rotating whenever the next line would overfill the file."""
        size = os.fstat(self._fd).st_size
        chunk: list[bytes] = []
        for line in lines:
            if size + len(line) > self.max_bytes and (size > 0 or chunk):
                if chunk:
                    os.write(self._fd, b"".join(chunk))
                    chunk = []
                self._rotate()
                size = os.fstat(self._fd).st_size
            chunk.append(line)
            size += len(line)
        if chunk:
            os.write(self._fd, b"".join(chunk))

    def _rotate(self) -> None:
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if self._renamed_by_another_process():
                    os.close(self._fd)
                    self._fd = self._open()
                    return
                if os.fstat(self._fd).st_size == 0:
                    return
                os.close(self._fd)
                self._shift_backups()
                self._fd = self._open()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _renamed_by_another_process(self) -> bool:
        try:
            on_disk = os.stat(self.path)
        except FileNotFoundError:
            return True
        mine = os.fstat(self._fd)
        return (on_disk.st_dev, on_disk.st_ino) != (mine.st_dev, mine.st_ino)

    def _shift_backups(self) -> None:
        if self.backups == 0:
            os.truncate(self.path, 0)
            return
        for index in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{index + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))

    def close(self) -> None:
        """Close the file."""
        with contextlib.suppress(OSError):
            os.close(self._fd)


class JsonLogFiles:
    """The prediction and request log files, written by one background thread.

    A request appends its line to a deque (no lock, no wake-up); the thread wakes every
    ``interval`` seconds and writes what gathered. Waking per line would make the thread
    fight the request threads for the GIL thousands of times a second.

    Args:
        settings: folder, sizes and whether to write at all.
        interval: seconds between writes.
    """

    def __init__(self, settings: LogFileSettings, *, interval: float = 0.2) -> None:
        self.settings = settings
        self.interval = interval
        self.dropped = 0
        # Lines to write, and flush markers: the event is set once every line before it is.
        self._lines: deque[tuple[str, bytes] | threading.Event] = deque()
        self._files: dict[str, RotatingJsonFile] = {}
        for name in (PREDICTIONS_LOG, API_REQUESTS_LOG):
            self._files[name] = RotatingJsonFile(
                settings.directory / name, max_bytes=settings.max_bytes, backups=settings.backups
            )
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="predledger-logfiles", daemon=True)
        self._thread.start()

    def prediction(self, record: Mapping[str, Any]) -> None:
        """Queue one line for ``predictions.log``."""
        self._put(PREDICTIONS_LOG, record)

    def request(self, record: Mapping[str, Any]) -> None:
        """Queue one line for ``api_requests.log``."""
        self._put(API_REQUESTS_LOG, record)

    def _put(self, name: str, record: Mapping[str, Any]) -> None:
        # Log files are a convenience beside the database: under a flood, lines are
        # dropped and counted rather than letting memory grow without bound. After
        # close() (the app stopped, the ledger may live on) nothing is kept.
        if self._stopping:
            return
        if len(self._lines) >= _QUEUE_CAP:
            self.dropped += 1
            return
        self._lines.append((name, orjson.dumps(record, option=_OPTIONS, default=str)))

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            stopping = self._stopping
            self._write_pending()
            if stopping:
                return

    def _write_pending(self) -> None:
        batch: dict[str, list[bytes]] = {}
        markers: list[threading.Event] = []
        while self._lines:
            item = self._lines.popleft()
            if isinstance(item, threading.Event):
                markers.append(item)
            else:
                batch.setdefault(item[0], []).append(item[1])
        for name, lines in batch.items():
            with contextlib.suppress(OSError):
                self._files[name].write(lines)
        for marker in markers:
            marker.set()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every line queued so far is on disk; true when it happened in time."""
        marker = threading.Event()
        self._lines.append(marker)
        self._wake.set()
        return marker.wait(timeout)

    def close(self) -> None:
        """Write what is queued, then stop the thread and close the files."""
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=10)
        for handle in self._files.values():
            handle.close()


def open_log_files(settings: LogFileSettings | None) -> JsonLogFiles | None:
    """The log files for ``settings``, or ``None`` when they are turned off."""
    if settings is None or not settings.enabled:
        return None
    return JsonLogFiles(settings)


def mirror_predictions(
    ledger: Ledger, files: JsonLogFiles, *, include_inputs: bool = False
) -> None:
    """Copy every prediction this ledger logs into ``predictions.log``.

    The ledger has no listener hook yet, so its ``log`` and ``log_many`` are wrapped on
    this one instance (never on the class); mirroring twice is a no-op.

    Args:
        ledger: the ledger whose predictions to copy.
        files: the open log files.
        include_inputs: also write the model inputs (off by default: they may be personal),
            after the ledger's redaction rules.
    """
    instance = vars(ledger)
    if instance.get("_predledger_mirrored"):
        return
    log, log_many = ledger.log, ledger.log_many

    redactor = ledger.redactor

    def line(prediction_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        entry = {"timestamp": datetime.now(UTC), "prediction_id": prediction_id}
        entry.update((k, v) for k, v in fields.items() if include_inputs or k != "inputs")
        if "inputs" in entry:  # the same redaction as the ledger's own record
            entry["inputs"] = redactor.inputs(entry["inputs"])
        return entry

    @functools.wraps(log)
    def logged(**fields: Any) -> str:
        prediction_id = log(**fields)
        files.prediction(line(prediction_id, fields))
        return prediction_id

    @functools.wraps(log_many)
    def logged_many(predictions: Iterable[Mapping[str, Any]]) -> list[str]:
        items = list(predictions)
        ids = log_many(items)
        for prediction_id, fields in zip(ids, items, strict=True):
            files.prediction(line(prediction_id, fields))
        return ids

    instance["log"] = logged
    instance["log_many"] = logged_many
    instance["_predledger_mirrored"] = True
