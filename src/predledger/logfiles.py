"""Rotating JSON log files: ``predictions.log`` and ``api_requests.log``, one object a line.

The ledger's writer writes them, after each batch commits, from the records it just
stored: a request pays nothing for them (no second encoding, no thread of the request's
process woken). A file past ``max_bytes`` is renamed to ``.1`` (the older ``.1`` to ``.2``
and so on, keeping ``backups`` of them), as Python's ``RotatingFileHandler`` does. Several
processes may share one folder: rotation happens under an exclusive ``flock`` and a writer
that finds its file renamed reopens the new one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson

from predledger.errors import ConfigurationError
from predledger.ingest.records import KIND_PREDICTION, KIND_REQUEST
from predledger.store.dialect import aware_timestamp

PREDICTIONS_LOG: Final = "predictions.log"
API_REQUESTS_LOG: Final = "api_requests.log"
_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
# A record's own bookkeeping, not the prediction's fields.
_NOT_LOGGED = frozenset({"k", "id", "ts", "inputs", "_error"})
REQUEST_LOG_FIELDS: Final = (
    "path", "endpoint", "method", "status_code", "response_time_ms", "client_ip",
    "user_agent", "request_size", "response_size", "cpu_percent", "memory_mb", "error",
    "session_id",
)  # fmt: skip


@dataclass(frozen=True)
class LogFileSettings:
    """Where the JSON log files go and how big they grow.

    Attributes:
        directory: the folder of the files (created when missing).
        max_bytes: a file is rotated once it grows past this size.
        backups: rotated files kept per log (``.1`` ... ``.N``).
        enabled: write the files at all.
        include_inputs: put model inputs in ``predictions.log`` (off by default: they may
            be personal), after the ledger's redaction rules.
    """

    directory: Path = Path("logs")
    max_bytes: int = 10 * 1024 * 1024
    backups: int = 5
    enabled: bool = True
    include_inputs: bool = False

    def __post_init__(self) -> None:
        if self.max_bytes < 1024:
            raise ConfigurationError(f"log max_bytes must be at least 1024, got {self.max_bytes}")
        if self.backups < 0:
            raise ConfigurationError(f"log backups must be 0 or more, got {self.backups}")

    def to_json(self) -> dict[str, Any]:
        """The settings as JSON values (sent to a writer process)."""
        return {
            "directory": str(self.directory), "max_bytes": self.max_bytes,
            "backups": self.backups, "enabled": self.enabled,
            "include_inputs": self.include_inputs,
        }  # fmt: skip

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> LogFileSettings:
        """The settings ``to_json`` described."""
        return cls(**{**fields, "directory": Path(fields["directory"])})


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


class LogFileWriter:
    """Appends committed records to the two files; called by the ledger's writer.

    Args:
        settings: folder, sizes and whether inputs are written.
    """

    def __init__(self, settings: LogFileSettings) -> None:
        self.include_inputs = settings.include_inputs
        self._lock = threading.Lock()
        self._predictions = RotatingJsonFile(
            settings.directory / PREDICTIONS_LOG,
            max_bytes=settings.max_bytes, backups=settings.backups,
        )  # fmt: skip
        self._requests = RotatingJsonFile(
            settings.directory / API_REQUESTS_LOG,
            max_bytes=settings.max_bytes, backups=settings.backups,
        )  # fmt: skip

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        """Write the prediction and request records among ``records``.

        The files are a convenience beside the database: a disk error here is ignored.
        """
        predictions: list[bytes] = []
        requests: list[bytes] = []
        for record in records:
            kind = record["k"]
            if kind == KIND_PREDICTION:
                predictions.append(self._prediction_line(record))
            elif kind == KIND_REQUEST:
                requests.append(_request_line(record))
        with self._lock, contextlib.suppress(OSError):
            if predictions:
                self._predictions.write(predictions)
            if requests:
                self._requests.write(requests)

    def _prediction_line(self, record: dict[str, Any]) -> bytes:
        fields = {"timestamp": aware_timestamp(record["ts"]), "prediction_id": record["id"]}
        fields.update((k, v) for k, v in record.items() if k not in _NOT_LOGGED)
        line = orjson.dumps(fields, option=_OPTIONS)
        inputs = record.get("inputs")
        if not self.include_inputs or inputs is None:
            return line + b"\n"
        raw = inputs if type(inputs) is bytes else orjson.dumps(inputs, option=_OPTIONS)
        return b"".join((line[:-1], b',"inputs":', raw, b"}\n"))

    def close(self) -> None:
        """Close both files."""
        with self._lock:
            self._predictions.close()
            self._requests.close()


def _request_line(record: dict[str, Any]) -> bytes:
    fields: dict[str, Any] = {
        "timestamp": aware_timestamp(record["ts"]), "request_id": record["id"],
    }  # fmt: skip
    for name in REQUEST_LOG_FIELDS:
        fields[name] = record.get(name)
    if fields["path"] is None:
        fields["path"] = record["endpoint"]
    return orjson.dumps(fields, option=_OPTIONS | orjson.OPT_APPEND_NEWLINE)
