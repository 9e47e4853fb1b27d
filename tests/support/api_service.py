"""predledger's own app served for a test, and what a test needs to look inside it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException

from predledger import Ledger
from predledger.api import create_app
from predledger.logfiles import LogFileSettings

from support.live_server import LiveServer

failing = APIRouter()


@failing.get("/test/crash")
def crash() -> None:
    raise RuntimeError("the model exploded")


@failing.get("/test/unavailable")
def unavailable() -> None:
    raise HTTPException(503, "the model is warming up")


@dataclass
class Service:
    """A running service."""

    url: str
    client: httpx.Client
    ledger: Ledger
    database_url: str
    log_dir: Path


def wait_until(check: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextmanager
def running_service(
    database_url: str, journal_dir: Path, log_dir: Path, **ledger_options: Any
) -> Iterator[Service]:
    """predledger's app (plus two failing routes) on a ledger of the database."""
    ledger = Ledger(database_url, journal_dir=journal_dir, flush_interval=0.02, **ledger_options)
    app = create_app(ledger, log_files=LogFileSettings(directory=log_dir), routers=[failing])
    try:
        with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
            yield Service(server.url, client, ledger, database_url, log_dir)
    finally:
        ledger.close()
