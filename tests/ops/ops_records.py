"""Records with crafted times, written straight through the bulk writer, for ops tests."""

from __future__ import annotations

import random
import threading
import time
from datetime import datetime
from typing import Any

from predledger.ids import id_timestamp_micros
from predledger.ingest.bulk import build_bulk_writer
from predledger.ingest.ledger import Ledger
from predledger.ops.catalog import to_micros
from predledger.store.engine import Store


def crafted_id(moment: datetime, rng: random.Random) -> tuple[str, int]:
    """A UUIDv7 for ``moment`` (to the ~quarter microsecond) and the micros it carries."""
    ms, rest = divmod(to_micros(moment), 1000)
    sub = rest * 4096 // 1000
    value = (ms << 80) | (0x7 << 76) | (sub << 64) | (0b10 << 62) | rng.getrandbits(62)
    h = f"{value:032x}"
    record_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return record_id, id_timestamp_micros(record_id)


def prediction_at(moment: datetime, rng: random.Random, **fields: Any) -> dict[str, Any]:
    record_id, micros = crafted_id(moment, rng)
    return {
        "k": "p", "id": record_id, "ts": micros, "model": "churn", "version": "1",
        "prediction_type": "features", "status": "success", "inputs": {"x": rng.random()},
        "label": rng.choice(["stay", "leave"]), "probability": rng.random(),
        "latency_ms": rng.random() * 10, **fields,
    }  # fmt: skip


def request_at(moment: datetime, rng: random.Random) -> dict[str, Any]:
    record_id, micros = crafted_id(moment, rng)
    return {
        "k": "r", "id": record_id, "ts": micros, "endpoint": "/predict", "method": "POST",
        "status_code": 200, "response_time_ms": rng.random() * 20,
    }  # fmt: skip


def write_records(store: Store, records: list[dict[str, Any]]) -> None:
    """Commit records the way the ledger's writer does (rows and rollups, one transaction)."""
    writer = build_bulk_writer(store.engine)
    try:
        writer.write(records)
    finally:
        writer.close()


class BackgroundLogger(threading.Thread):
    """Logs predictions and requests through a Ledger until stopped; remembers their ids."""

    def __init__(self, ledger: Ledger, *, pace: float = 0.0005) -> None:
        super().__init__(name="test-logger", daemon=True)
        self.ledger = ledger
        self.pace = pace
        self.ids: list[str] = []
        self.request_ids: list[str] = []
        self.halt = threading.Event()
        self.started_logging = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.halt.is_set():
            self.ids.append(
                self.ledger.log(
                    model="churn",
                    version="2",
                    inputs={"x": n},
                    label="stay",
                    probability=0.5,
                    latency_ms=1.0,
                )
            )
            if n % 5 == 0:
                self.request_ids.append(
                    self.ledger.log_request(
                        endpoint="/predict", method="POST", status_code=200, response_time_ms=2.0
                    )
                )
            n += 1
            if n >= 50:
                self.started_logging.set()
            self.halt.wait(self.pace)

    def wait_until_written(self, rows: int = 50, timeout: float = 30.0) -> None:
        """Block until the ledger has committed ``rows`` of this thread's records."""
        deadline = time.monotonic() + timeout
        while self.ledger.stats().written < rows:
            assert time.monotonic() < deadline, "the ledger committed nothing in time"
            time.sleep(0.01)

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=30)


def label_by_x(frame: Any) -> list[dict[str, Any]]:
    """A scorer for tests: ``high`` when column ``x`` passes 0.5, with ``x`` as probability."""
    return [
        {"label": "high" if x > 0.5 else "low", "probability": float(x)}
        for x in frame["x"].tolist()
    ]
