"""Scale-out ingest: replicas through a Redis Stream and workers, beside the direct path.

    .venv/bin/python benchmarks/scale.py [--rows-per-producer 20000]

For 1, 2 and 4 producer processes (model-service replicas logging 20-feature
predictions as fast as they can), in one run:

- embedded: one or two processes whose ``Ledger`` writes a SQLite file;
- direct: each replica's ``Ledger`` writes PostgreSQL itself (its own writer);
- stream, 1 or 2 workers: ``Ledger(transport="redis")`` appends batches to a Redis
  Stream, and ``predledger worker`` processes (a consumer group) write PostgreSQL.

Figures: end-to-end rows/s, from the first ``log()`` until every replica's ``flush()``
returned (every row and rollup committed, by the replica or by a worker), and the
latency of ``log()`` itself (p50, p99) on the replicas. Each configuration starts from
empty tables and an empty stream; PostgreSQL is a fresh schema in the ``test`` database
and Redis a private ``redis-server`` (no persistence) on a free port. A warm-up pass of
each path runs first and is not reported. Each configuration runs ``--repeat`` times
(default 2), interleaved, and the best pass is reported: on a shared 2-core machine the
other passes mostly measure the neighbours.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import redis
from workload import MODEL, VERSION, BenchDatabase, bench_database, make_predictions

from predledger import Ledger
from predledger.worker import stream_status

POOL_SIZE = 2_000
FLUSH_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Config:
    """One measured configuration."""

    transport: str  # "sqlite", "direct" (PostgreSQL) or "redis"
    producers: int
    workers: int

    @property
    def name(self) -> str:
        return {"sqlite": "embedded", "direct": "direct"}.get(self.transport, "stream")


@dataclass(frozen=True)
class Result:
    """What one configuration measured."""

    config: Config
    rows: int
    seconds: float
    log_p50_us: float
    log_p99_us: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


# -- the replicas -------------------------------------------------------------------------


def produce(
    settings: dict[str, Any], seed: int, ready: Queue[int], start: Event, out: Queue[Any]
) -> None:
    """One replica: log ``rows`` predictions, flush, report timings and log() latencies."""
    pool = make_predictions(POOL_SIZE, seed=seed)
    rows = settings.pop("rows")
    ledger = Ledger(**settings)
    latencies = [0] * rows
    log = ledger.log
    clock = time.perf_counter_ns
    ready.put(seed)
    start.wait()
    began = time.time()
    for i in range(rows):
        p = pool[i % POOL_SIZE]
        before = clock()
        log(model=MODEL, version=VERSION, inputs=p.features, label=p.label,
            probability=p.probability, latency_ms=p.latency_ms)  # fmt: skip
        latencies[i] = clock() - before
    flushed = ledger.flush(FLUSH_TIMEOUT_S)
    done = time.time()
    stats = ledger.stats()
    ledger.close()
    latencies.sort()
    out.put((began, done, flushed and stats.written == rows, latencies[rows // 2],
             latencies[min(rows - 1, rows * 99 // 100)], str(stats)))  # fmt: skip


def run_producers(config: Config, db: BenchDatabase, redis_url: str, rows: int) -> Result:
    """Start the replicas, release them together, wait for every flush."""
    ctx = mp.get_context("spawn")
    ready: Queue[int] = ctx.Queue()
    out: Queue[Any] = ctx.Queue()
    start = ctx.Event()
    processes = []
    for n in range(config.producers):
        settings: dict[str, Any] = {
            "rows": rows, "journal_dir": str(db.workdir / f"journal-{config.name}-{n}"),
        }  # fmt: skip
        if config.transport in ("direct", "sqlite"):
            settings["url"] = db.url
        else:
            settings.update(transport="redis", redis_url=redis_url)
        process = ctx.Process(target=produce, args=(settings, n + 1, ready, start, out))
        process.start()
        processes.append(process)
    for _ in processes:
        ready.get(timeout=120)
    start.set()
    reports = [out.get(timeout=FLUSH_TIMEOUT_S + 60) for _ in processes]
    for process in processes:
        process.join(60)
    failed = [r[5] for r in reports if not r[2]]
    if failed:
        raise SystemExit(f"{config}: a replica did not commit everything: {failed[0]}")
    total = rows * config.producers
    stored = db.count_predictions()
    if stored != total:
        raise SystemExit(f"{config}: {stored} rows stored, expected {total}")
    seconds = max(r[1] for r in reports) - min(r[0] for r in reports)
    return Result(
        config, total, seconds,
        log_p50_us=max(r[3] for r in reports) / 1000, log_p99_us=max(r[4] for r in reports) / 1000,
    )  # fmt: skip


# -- Redis and the workers ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A private redis-server without persistence."""
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("redis-server is not installed: apt-get install redis-server")
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    client.close()
    return process, url


def start_workers(count: int, db: BenchDatabase, redis_url: str) -> list[subprocess.Popen[bytes]]:
    """``predledger worker`` processes, returned once all joined the group."""
    workers = []
    for n in range(count):
        command = [sys.executable, "-m", "predledger.cli", "worker", "--database-url", db.url]
        command += ["--redis-url", redis_url, "--consumer", f"bench-{n}"]
        command += ["--data-dir", str(db.workdir / "worker")]
        with open(db.workdir / f"worker-{n}.log", "ab") as log:
            workers.append(subprocess.Popen(command, stdout=log, stderr=log))
    deadline = time.monotonic() + 60
    while stream_status(redis_url)["consumers"] < count:
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            logs = [(db.workdir / f"worker-{n}.log").read_text() for n in range(count)]
            raise SystemExit(f"the workers did not start: {logs}")
        time.sleep(0.1)
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]], redis_url: str) -> None:
    """SIGTERM the workers, then empty Redis for the next configuration."""
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.wait(60)
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    client.close()


def measure(config: Config, db: BenchDatabase, redis_url: str, rows: int) -> Result:
    """One configuration on empty tables and an empty stream."""
    db.truncate()
    workers = start_workers(config.workers, db, redis_url) if config.workers else []
    try:
        return run_producers(config, db, redis_url, rows)
    finally:
        stop_workers(workers, redis_url)


# -- driver -------------------------------------------------------------------------------


def print_table(results: list[Result]) -> None:
    print()
    print(f"{'path':<8} {'producers':>9} {'workers':>7} {'rows':>8} {'seconds':>8} "
          f"{'rows/s':>8} {'log() p50 µs':>13} {'p99 µs':>8}")  # fmt: skip
    for r in results:
        c = r.config
        print(f"{c.name:<8} {c.producers:>9} {c.workers or '-':>7} {r.rows:>8,} "
              f"{r.seconds:>8.2f} {r.rows_per_second:>8,.0f} {r.log_p50_us:>13.1f} "
              f"{r.log_p99_us:>8.1f}")  # fmt: skip
    direct = {r.config.producers: r for r in results if r.config.transport == "direct"}
    print(f"{'':>8} (embedded: SQLite file; direct: each replica writes PostgreSQL; stream: "
          "replicas -> Redis Stream -> workers -> PostgreSQL)")  # fmt: skip
    print()
    for r in results:
        if r.config.transport == "redis":
            base = direct[r.config.producers]
            ratio = r.rows_per_second / base.rows_per_second
            c = r.config
            print(
                f"stream {c.producers}p/{c.workers}w vs direct {c.producers}p: {ratio:.2f}x rows/s"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-per-producer", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=2, help="passes; the best is reported")
    parser.add_argument("--workdir", default=None, help="folder for journals and Redis")
    args = parser.parse_args(argv)
    rows = args.rows_per_producer
    print(f"predledger scale-out benchmark: {rows:,} 20-feature predictions per replica, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    configs = [Config("sqlite", p, 0) for p in (1, 2)]
    configs += [Config("direct", p, 0) for p in (1, 2, 4)]
    configs += [Config("redis", p, w) for w in (1, 2) for p in (1, 2, 4)]
    with (
        bench_database("sqlite", workdir=args.workdir) as lite,
        bench_database("postgresql", workdir=args.workdir) as db,
    ):
        redis_server, redis_url = start_redis(db.workdir)
        try:
            for warm in (Config("sqlite", 1, 0), Config("direct", 1, 0), Config("redis", 1, 1)):
                measure(warm, lite if warm.transport == "sqlite" else db, redis_url, rows // 4)
            best: dict[Config, Result] = {}
            for _ in range(args.repeat):
                for config in configs:
                    result = measure(config, lite if config.transport == "sqlite" else db,
                                     redis_url, rows)  # fmt: skip
                    print(f"  {config.name} {config.producers}p/{config.workers}w: "
                          f"{result.rows_per_second:,.0f} rows/s", flush=True)  # fmt: skip
                    if config not in best or result.seconds < best[config].seconds:
                        best[config] = result
            results = [best[config] for config in configs]
        finally:
            redis_server.terminate()
            redis_server.wait(30)
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
