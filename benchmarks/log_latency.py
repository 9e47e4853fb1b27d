"""How long ``Ledger.log()`` takes on the request path while the writer runs.

    .venv/bin/python benchmarks/log_latency.py                      # SQLite file
    .venv/bin/python benchmarks/log_latency.py --backend postgresql

Each call logs a 20-feature record (inputs prebuilt, so only ``log()`` is timed, with
``time.perf_counter_ns()``). Two modes, each after a warm-up:

- paced: a steady request rate (default 5,000 log/s), sleeping between calls the way a
  service waits for its next request; the writer commits in the background.
- full speed: calls back to back, the writer busy all along (an overload test).

For context the same loops run with no logging at all, timing only the building of a
20-feature dict: the floor that the timer, the interpreter and the machine impose.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from workload import (
    BACKENDS,
    FEATURE_NAMES,
    MODEL,
    VERSION,
    Backend,
    PredictionInput,
    bench_database,
    make_predictions,
)

from predledger import Ledger

POOL_SIZE = 20_000
P99_TARGET_US = 50.0

Call = Callable[[PredictionInput], object]


@dataclass(frozen=True)
class Latencies:
    """Durations of one timed loop, in nanoseconds."""

    name: str
    samples: list[int]
    seconds: float

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0-100), in microseconds."""
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] / 1000

    def line(self) -> str:
        calls = len(self.samples)
        mean = sum(self.samples) / calls / 1000
        return (
            f"{self.name:<24} {calls:>8,} {calls / self.seconds:>9,.0f} {mean:>7.1f}"
            f" {self.percentile(50):>7.1f} {self.percentile(99):>7.1f}"
            f" {self.percentile(99.9):>8.1f} {max(self.samples) / 1000:>9.1f}"
        )


def timed_loop(
    name: str, call: Call, pool: list[PredictionInput], calls: int, rate: float | None
) -> Latencies:
    """Time ``call`` once per input, back to back or paced at ``rate`` calls per second."""
    samples = [0] * calls
    size = len(pool)
    clock = time.perf_counter_ns
    period = 0 if rate is None else round(1e9 / rate)
    start = due = clock()
    for i in range(calls):
        if period:
            due += period
            wait = due - clock()
            if wait > 0:
                time.sleep(wait / 1e9)
        item = pool[i % size]
        t0 = clock()
        call(item)
        samples[i] = clock() - t0
    return Latencies(name, samples, (clock() - start) / 1e9)


def ledger_call(ledger: Ledger) -> Call:
    log = ledger.log

    def call(p: PredictionInput) -> object:
        return log(
            model=MODEL,
            version=VERSION,
            inputs=p.features,
            label=p.label,
            probability=p.probability,
            latency_ms=p.latency_ms,
        )

    return call


def build_dict_call() -> Call:
    """The no-logging baseline: build a 20-feature dict from the same values."""
    names = FEATURE_NAMES

    def call(p: PredictionInput) -> object:
        return dict(zip(names, p.features.values(), strict=True))

    return call


def flush_or_fail(ledger: Ledger) -> float:
    start = time.perf_counter()
    if not ledger.flush(timeout=600):
        raise SystemExit(f"the ledger did not commit everything: {ledger.stats()}")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, default="sqlite")
    parser.add_argument("--rate", type=float, default=5_000, help="paced calls per second")
    parser.add_argument("--seconds", type=float, default=10, help="length of the paced run")
    parser.add_argument("--calls", type=int, default=200_000, help="calls at full speed")
    parser.add_argument("--warmup", type=int, default=50_000, help="warm-up calls per mode")
    parser.add_argument("--workdir", default=None, help="folder for the SQLite file, journal")
    args = parser.parse_args(argv)
    backend: Backend = args.backend
    paced_calls = int(args.rate * args.seconds)

    print(f"predledger log() latency: {backend}, 20-feature records, writer running")
    print(f"each mode warmed up first ({args.warmup:,} calls at full speed); times in microseconds")
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    pool = make_predictions(POOL_SIZE)
    baseline = build_dict_call()
    results: list[Latencies] = []
    with bench_database(backend, workdir=args.workdir) as db:
        ledger = Ledger(db.url, journal_dir=db.workdir / "journal")
        try:
            log = ledger_call(ledger)
            for mode, rate, calls in (
                ("paced", args.rate, paced_calls),
                ("full speed", None, args.calls),
            ):
                timed_loop("warm-up", log, pool, args.warmup, None)
                flush_or_fail(ledger)
                timed_loop("warm-up", baseline, pool, args.warmup, None)
                results.append(timed_loop(f"log() {mode}", log, pool, calls, rate))
                behind = flush_or_fail(ledger)
                print(f"  {mode}: after the last call the writer needed {behind:.2f} s more")
                results.append(timed_loop(f"no logging {mode}", baseline, pool, calls, rate))
            stats = ledger.stats()
        finally:
            ledger.close()
    if stats.dropped or stats.rejected or stats.last_error:
        raise SystemExit(f"the ledger reported problems: {stats}")

    print()
    print(
        f"{'loop':<24} {'calls':>8} {'calls/s':>9} {'mean':>7} {'p50':>7} {'p99':>7}"
        f" {'p99.9':>8} {'max':>9}"
    )
    for result in results:
        print(result.line())
    print()
    for result in results:
        if result.name.startswith("log()"):
            p99 = result.percentile(99)
            met = "met" if p99 < P99_TARGET_US else "MISSED"
            print(f"{result.name}: p99 {p99:.1f} us (target < {P99_TARGET_US:.0f} us: {met})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
