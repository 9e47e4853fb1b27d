"""Retention while ingesting: how much ingest throughput survives deleting a day of rows.

    .venv/bin/python benchmarks/retention.py                       # both backends
    .venv/bin/python benchmarks/retention.py --backend sqlite --rows 5000000

For each backend, ``predictions`` gets one old day of ``--rows`` rows (generated in SQL, ids
and times consistent as the ledger writes them; on PostgreSQL in that day's partition). A
child process then logs predictions through a ``Ledger`` as fast as it can, and reports how
many rows its writer has committed, ten times a second. The parent measures the committed
rows per second over quiet windows before and after, and while retention removes the old
day:

- sqlite: ``apply_retention`` deletes the day in batches of 5,000 rows, one short
  transaction each, pausing between batches;
- postgresql, batched: a cutoff in the middle of the day deletes its first half in batches
  (the boundary partition's path);
- postgresql, drop: a cutoff at the day's end drops the partition with the other half.

The ratio is ingest throughput during retention over throughput without. Figures only; the
run asserts nothing. Two cores are shared by the logging process, its writer, retention and
(on PostgreSQL) the server, so the ratio includes CPU contention, not only locks.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

import psycopg
from sqlalchemy import text

from predledger import Ledger
from predledger.ops.partitions import create_partitions
from predledger.ops.retention import RetentionPolicy, apply_retention
from predledger.store.engine import Store
from predledger.store.migrate import upgrade

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
DAY_MICROS = 86_400_000_000
SAMPLE_EVERY_S = 0.1
MIN_WINDOW_S = 1.0


@dataclass
class Phase:
    """One cleanup measured against the quiet baseline."""

    name: str
    rows: int
    seconds: float
    ingest_rate: float


# -- filling the old day ---------------------------------------------------------------

SQLITE_FILL = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :rows - 1),
t(i, micros) AS (SELECT i, :start + i * :step FROM n),
k(i, micros, ms, sub) AS (
  SELECT i, micros, micros / 1000, ((micros % 1000) * 4096 + 999) / 1000 FROM t),
h(i, micros, hex) AS (
  SELECT i, micros, printf('%012x', ms) || '7' || printf('%03x', sub) || '8'
    || printf('%015x', i) FROM k)
INSERT INTO predictions (id, created_at, model_name, model_version, prediction_type,
  inputs, label, score, latency_ms, status, cache_hit)
SELECT substr(hex, 1, 8) || '-' || substr(hex, 9, 4) || '-' || substr(hex, 13, 4) || '-'
    || substr(hex, 17, 4) || '-' || substr(hex, 21, 12),
  datetime(micros / 1000000, 'unixepoch') || '.' || printf('%06d', micros % 1000000),
  'bench', '1', 'features', '{"x": ' || (i % 997) || ', "plan": "pro"}',
  CASE i % 3 WHEN 0 THEN 'stay' ELSE 'leave' END, (i % 100) / 100.0, 1.5, 'success', 0
FROM h
"""

POSTGRES_FILL = """
INSERT INTO predictions (id, created_at, model_name, model_version, prediction_type,
  inputs, label, score, latency_ms, status, cache_hit)
SELECT (lpad(to_hex(micros / 1000), 12, '0') || '7'
    || lpad(to_hex(((micros % 1000) * 4096 + 999) / 1000), 3, '0') || '8'
    || lpad(to_hex(i), 15, '0'))::uuid,
  'epoch'::timestamptz + micros * interval '1 microsecond',
  'bench', '1', 'features', ('{"x": ' || (i % 997) || ', "plan": "pro"}')::json,
  CASE i % 3 WHEN 0 THEN 'stay' ELSE 'leave' END, (i % 100) / 100.0, 1.5, 'success', false
FROM (SELECT i, CAST(:start AS bigint) + i::bigint * CAST(:step AS bigint) AS micros
      FROM generate_series(0, :rows - 1) AS i) AS g
"""


def fill_old_day(store: Store, day: datetime, rows: int) -> float:
    """Write ``rows`` predictions spread over ``day``; return the seconds it took."""
    started = time.perf_counter()
    create_partitions(store, [day.date()])
    start = (day - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    sql = SQLITE_FILL if store.dialect == "sqlite" else POSTGRES_FILL
    with store.engine.begin() as connection:
        params = {"rows": rows, "start": start, "step": DAY_MICROS // rows}
        connection.execute(text(sql), params)
    if store.dialect == "postgresql":
        with store.engine.connect() as connection:
            connection.execute(text("ANALYZE predictions"))
            connection.commit()
    return time.perf_counter() - started


# -- the logging child -----------------------------------------------------------------


def log_until_stopped(url: str, journal_dir: str, samples: Connection, stop: mp.Event) -> None:
    """Log predictions as fast as possible; send (time, committed rows) samples."""
    ledger = Ledger(url, journal_dir=journal_dir, durability="memory", max_queue=50_000)
    sender = threading.Thread(target=_send_samples, args=(ledger, samples, stop), daemon=True)
    sender.start()
    n = 0
    while not stop.is_set():
        for _ in range(100):
            ledger.log(
                model="live", version="2", inputs={"x": n % 997, "plan": "pro"},
                label="stay", probability=0.5, latency_ms=1.0,
            )  # fmt: skip
            n += 1
    ledger.close(timeout=60)
    sender.join()


def _send_samples(ledger: Ledger, samples: Connection, stop: mp.Event) -> None:
    while not stop.is_set():
        samples.send((time.monotonic(), ledger.stats().written))
        time.sleep(SAMPLE_EVERY_S)
    samples.send(None)


class Sampler(threading.Thread):
    """Collects the child's samples and answers 'rows committed per second between t0, t1'."""

    def __init__(self, samples: Connection) -> None:
        super().__init__(daemon=True)
        self.samples = samples
        self.points: list[tuple[float, int]] = []
        self.lock = threading.Lock()

    def run(self) -> None:
        while (point := self.samples.recv()) is not None:
            with self.lock:
                self.points.append(point)

    def rate(self, start: float, end: float) -> float:
        with self.lock:
            inside = [p for p in self.points if start <= p[0] <= end]
        if len(inside) < 2:
            return float("nan")
        (t0, n0), (t1, n1) = inside[0], inside[-1]
        return (n1 - n0) / (t1 - t0)


# -- one backend -----------------------------------------------------------------------


def measure(store: Store, sampler: Sampler, name: str, age: timedelta, now: datetime) -> Phase:
    """Run retention with ``age`` while the child logs; measure the ingest rate meanwhile."""
    started = time.monotonic()
    report = apply_retention(store, RetentionPolicy({"predictions": age}), now=now)
    ended = time.monotonic()
    if ended - started < MIN_WINDOW_S:  # too short to sample: include the second after
        time.sleep(MIN_WINDOW_S - (ended - started) + SAMPLE_EVERY_S)
    window_end = max(ended, started + MIN_WINDOW_S)
    return Phase(name, report.total_rows, ended - started, sampler.rate(started, window_end))


def run_backend(backend: str, rows: int, quiet_s: float) -> None:
    """Fill, start logging, measure quiet and during retention, print the figures."""
    folder = Path(tempfile.mkdtemp(prefix="predledger-retention-"))
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        with psycopg.connect(PG_DSN, autocommit=True) as connection:
            connection.execute(f"CREATE SCHEMA {schema}")
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    store = Store(url)
    try:
        upgrade(store)
        _run(store, url, folder, backend, rows, quiet_s)
    finally:
        store.dispose()
        if backend == "postgresql":
            with psycopg.connect(PG_DSN, autocommit=True) as connection:
                connection.execute(f"DROP SCHEMA {schema} CASCADE")
        shutil.rmtree(folder, ignore_errors=True)


def _run(store: Store, url: str, folder: Path, backend: str, rows: int, quiet_s: float) -> None:
    now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day = now - timedelta(days=40)
    filled = fill_old_day(store, day, rows)
    print(f"\n{backend}: one day of {rows:,} predictions written in {filled:.1f} s", flush=True)
    context = mp.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    stop = context.Event()
    child = context.Process(
        target=log_until_stopped, args=(url, str(folder / "journal"), sender, stop)
    )
    child.start()
    sampler = Sampler(receiver)
    sampler.start()
    time.sleep(2.0)  # start-up and warm-up
    quiet_start = time.monotonic()
    time.sleep(quiet_s)
    baseline = sampler.rate(quiet_start, time.monotonic())
    phases = []
    if backend == "sqlite":
        phases.append(measure(store, sampler, "batched delete", now - day - timedelta(days=1), now))
    else:
        half = now - day - timedelta(hours=12)
        phases.append(measure(store, sampler, "batched delete (half day)", half, now))
        phases.append(
            measure(store, sampler, "drop partition (other half)", half - timedelta(hours=12), now)
        )
    after_start = time.monotonic()
    time.sleep(quiet_s)
    # the machine's load drifts: the baseline is the mean of a quiet window before and after
    baseline = (baseline + sampler.rate(after_start, time.monotonic())) / 2
    stop.set()
    child.join(timeout=120)
    sampler.join(timeout=10)
    _print(baseline, phases)


def _print(baseline: float, phases: list[Phase]) -> None:
    print(f"  ingest without retention: {baseline:,.0f} rows/s committed", flush=True)
    for phase in phases:
        deleted = phase.rows / phase.seconds if phase.seconds else float("inf")
        print(
            f"  {phase.name}: {phase.rows:,} rows in {phase.seconds:.2f} s "
            f"({deleted:,.0f} rows/s); ingest meanwhile {phase.ingest_rate:,.0f} rows/s "
            f"= {phase.ingest_rate / baseline:.2f} x without",
            flush=True,
        )


def main() -> None:
    """Parse the arguments and run each backend."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the old day")
    parser.add_argument("--quiet", type=float, default=5.0, help="seconds of baseline")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        run_backend(backend, args.rows, args.quiet)


if __name__ == "__main__":
    main()
