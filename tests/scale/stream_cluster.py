"""A small scale-out cluster for tests: a private redis-server, workers and producers.

``Children`` starts ``predledger worker`` and producer processes and reaps them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from predledger.worker import stream_status

PRODUCER = Path(__file__).with_name("stream_producer_child.py")


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 60.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Children:
    """Worker and producer processes of one test; all reaped at teardown."""

    def __init__(self, directory: Path, database_url: str, redis_url: str) -> None:
        self.directory = directory
        self.database_url = database_url
        self.redis_url = redis_url
        self.started: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def _spawn(
        self, args: list[str], log_name: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = open(self.directory / log_name, "ab")  # noqa: SIM115 (closed at teardown)
        process = subprocess.Popen(
            [sys.executable, *args], stdout=log, stderr=log,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )  # fmt: skip
        self.started.append((process, log))
        return process

    def worker(self, consumer: str, *, claim_idle: float = 1.0) -> subprocess.Popen[bytes]:
        """``predledger worker`` as a consumer named ``consumer``."""
        return self._spawn(
            ["-m", "predledger.cli", "worker", "--database-url", self.database_url,
             "--redis-url", self.redis_url, "--consumer", consumer, "--batch-size", "1000",
             "--claim-idle", str(claim_idle), "--data-dir", str(self.directory / "worker")],
            f"{consumer}.log",
        )  # fmt: skip

    def serve(self, port: int, workers: int) -> subprocess.Popen[bytes]:
        """The HTTP service in ``workers`` uvicorn processes, on the Redis transport.

        uvicorn runs the app factory ``predledger serve`` runs, configured the same way,
        through the environment.
        """
        return self._spawn(
            ["-m", "uvicorn", "predledger.api.app:create_app_from_env", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
             "--log-level", "warning"],
            "serve.log",
            env={
                "PREDLEDGER_TRANSPORT": "redis", "PREDLEDGER_REDIS_URL": self.redis_url,
                "PREDLEDGER_DATABASE_URL": self.database_url,
                "PREDLEDGER_JOURNAL_DIR": str(self.directory / "service-journal"),
                "PREDLEDGER_LOG_FILES": "0", "PREDLEDGER_MONITOR": "0",
                "PREDLEDGER_AUTH": "0",  # loopback callers only
            },
        )  # fmt: skip

    def producer(
        self, name: str, journal_dir: Path, count: int = -1, stop_file: Path | None = None
    ) -> Path:
        """A process logging ``count`` predictions (-1: until killed or ``stop_file``).

        Returns the file it appends each id to once ``log()`` returned it.
        """
        ids = self.directory / f"{name}.ids"
        self._spawn(
            [str(PRODUCER), self.redis_url, str(journal_dir), str(ids), str(count),
             str(stop_file or "")],
            f"{name}.log",
        )  # fmt: skip
        return ids

    def process_of(self, ids: Path) -> subprocess.Popen[bytes]:
        name = f"{ids.stem}.log"
        return next(p for p, log in self.started if Path(log.name).name == name)

    def log_of(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def close(self) -> None:
        for process, log in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait(30)
            log.close()


def read_ids(path: Path) -> list[str]:
    """Ids a producer wrote in full (a torn last line, from a kill, is not one)."""
    if not path.exists():
        return []
    return [line for line in path.read_text().split("\n") if len(line) == 36]


def wait_for_ids(path: Path, count: int, seconds: float = 60.0) -> None:
    """Wait until the producer writing ``path`` has logged ``count`` ids."""
    wait_until(lambda: len(read_ids(path)) >= count, f"{count} ids in {path.name}", seconds)


def wait_drained(redis_url: str, seconds: float = 60.0) -> dict[str, Any]:
    """Wait until the workers have acknowledged every entry; return the stream's status."""
    status: dict[str, Any] = {}

    def drained() -> bool:
        status.update(stream_status(redis_url))
        return bool(status["group_exists"]) and status["backlog"] == 0

    wait_until(drained, "the workers to drain the stream", seconds)
    return status
