"""Drift report cost: predledger (histogram and exact mode) against Evidently's DataDriftPreset.

Same data for all: a reference of 100k rows and a current window of 1M rows (``--current-rows``
scales it down), 20 numeric and 5 categorical features, about half of them shifted by various
amounts. The current rows are logged through a real ``Ledger`` into a database first (not
timed: the hourly histograms are kept at ingest); then, in one run:

- predledger, histogram mode: the report from the hourly histograms (``run_drift_report``);
- predledger, exact mode: the report from the window's raw rows (reads 1M JSON inputs);
- Evidently ``Report([DataDriftPreset()])`` on the two pandas DataFrames in memory
  (``pip install -e '.[bench]'``). If Evidently cannot be imported, a direct SciPy computation
  per feature with the same default methods stands in, and the output says so.

Printed: the load average, seconds per report (the median of ``--repeat`` runs for
predledger's, one run of Evidently's), ratios of those seconds, the share of per-feature
verdicts that agree, and each report's CPU seconds over all its threads (exact mode parses
in worker threads beside the one reading rows; Evidently mostly uses one): on a shared
machine they tell how much of a slow run was spent waiting for a core.

    .venv/bin/python benchmarks/drift.py                      # 100k vs 1M (a few minutes)
    .venv/bin/python benchmarks/drift.py --current-rows 100000
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from predledger import Ledger
from predledger.drift.operations import run_drift_report
from predledger.registry import register_model_version
from predledger.store import migrate
from predledger.store.engine import Store

NUMERIC = 20
CATEGORICAL = 5
CATEGORIES = ["a", "b", "c", "d", "e"]
# Shift of each numeric feature's mean, in standard deviations: none, below the 0.1 threshold
# (should not drift), around it, and well above it.
NUMERIC_SHIFTS = [0.0] * 8 + [0.03, 0.05, 0.07] + [0.15, 0.2, 0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 3.0]
CATEGORY_WEIGHTS = [
    ([0.4, 0.25, 0.15, 0.12, 0.08], [0.4, 0.25, 0.15, 0.12, 0.08]),
    ([0.4, 0.25, 0.15, 0.12, 0.08], [0.39, 0.26, 0.15, 0.12, 0.08]),
    ([0.4, 0.25, 0.15, 0.12, 0.08], [0.2, 0.25, 0.15, 0.12, 0.28]),
    ([0.2, 0.2, 0.2, 0.2, 0.2], [0.1, 0.1, 0.2, 0.3, 0.3]),
    ([0.5, 0.3, 0.1, 0.05, 0.05], [0.5, 0.3, 0.1, 0.05, 0.05]),
]


def make_frames(
    reference_rows: int, current_rows: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    reference: dict[str, Any] = {}
    current: dict[str, Any] = {}
    for i, shift in enumerate(NUMERIC_SHIFTS):
        scale = 1.0 + i
        reference[f"n{i:02d}"] = rng.normal(10.0 * i, scale, reference_rows)
        current[f"n{i:02d}"] = rng.normal(10.0 * i + shift * scale, scale, current_rows)
    for i, (ref_p, cur_p) in enumerate(CATEGORY_WEIGHTS):
        reference[f"c{i}"] = rng.choice(CATEGORIES, reference_rows, p=ref_p)
        current[f"c{i}"] = rng.choice(CATEGORIES, current_rows, p=cur_p)
    return pd.DataFrame(reference), pd.DataFrame(current)


def ingest(url: str, journal: Path, current: pd.DataFrame) -> float:
    ledger = Ledger(url, journal_dir=journal, durability="memory", batch_size=5000,
                    max_queue=200_000)  # fmt: skip
    columns = list(current.columns)
    values = [current[c].tolist() for c in columns]
    started = time.perf_counter()
    chunk = 20_000
    for start in range(0, len(current), chunk):
        rows = zip(*(v[start : start + chunk] for v in values), strict=True)
        ledger.log_many(
            {"model": "bench", "version": "1", "inputs": dict(zip(columns, row, strict=True))}
            for row in rows
        )
    ledger.flush(timeout=3600)
    took = time.perf_counter() - started
    ledger.close()
    return took


def timed(work: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall seconds and median CPU seconds (every thread of the process) of ``work``."""
    times, cpu_times, result = [], [], None
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = work()
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    return statistics.median(times), statistics.median(cpu_times), result


def load_average() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def evidently_verdicts(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, bool]:
    from evidently import Report
    from evidently.presets import DataDriftPreset

    snapshot = Report([DataDriftPreset()]).run(current, reference)
    verdicts = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if not config["type"].endswith("ValueDrift"):
            continue
        value, threshold = float(metric["value"]), float(config["threshold"])
        p_value = "p_value" in config["method"]
        verdicts[config["column"]] = value < threshold if p_value else value >= threshold
    return verdicts


def scipy_verdicts(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, bool]:
    """The same default methods as Evidently's, computed directly per feature with SciPy."""
    from scipy import spatial, stats

    verdicts = {}
    for column in reference.columns:
        ref, cur = reference[column].to_numpy(), current[column].to_numpy()
        if ref.dtype.kind == "f":
            distance = stats.wasserstein_distance(ref, cur) / max(float(np.std(ref)), 0.001)
        else:
            keys = np.union1d(ref, cur)
            distance = spatial.distance.jensenshannon(
                [np.sum(ref == k) for k in keys], [np.sum(cur == k) for k in keys]
            )
        verdicts[column] = bool(distance >= 0.1)
    return verdicts


def agreement(ours: dict[str, bool], theirs: dict[str, bool]) -> float:
    return sum(ours[name] == theirs[name] for name in theirs) / len(theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference-rows", type=int, default=100_000)
    parser.add_argument("--current-rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each predledger report (median shown)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    print(f"load average at start: {load_average()}", flush=True)
    reference, current = make_frames(args.reference_rows, args.current_rows, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/drift-bench.db"
        store = Store(url)
        migrate.upgrade(store)
        started = time.perf_counter()
        register_model_version(store, name="bench", version="1", reference=reference,
                               stage="production")  # fmt: skip
        profiled = time.perf_counter() - started
        ingest_s = ingest(url, Path(folder) / "journal", current)
        print(
            f"data: reference {len(reference):,} rows, current {len(current):,} rows, "
            f"{NUMERIC} numeric + {CATEGORICAL} categorical features ({store.dialect})"
        )
        print(
            f"setup (not compared): profile {profiled:.1f} s, ingest with histograms "
            f"{ingest_s:.1f} s ({len(current) / ingest_s:,.0f} rows/s)"
        )

        def report(mode: str) -> dict[str, bool]:
            done = run_drift_report(store, model="bench", mode=mode, hours=24 * 7)
            assert done.current_size == len(current), done.current_size
            return {f.feature: f.drifted for f in done.features}

        print(f"load average before the compared runs: {load_average()}", flush=True)
        hist_s, hist_cpu, hist = timed(lambda: report("histogram"), args.repeat)
        exact_s, exact_cpu, exact = timed(lambda: report("exact"), args.repeat)
        store.dispose()

    try:
        baseline_name = "Evidently DataDriftPreset"
        base_s, base_cpu, base = timed(lambda: evidently_verdicts(reference, current), 1)
    except ImportError:
        baseline_name = "SciPy per feature (Evidently not installed: stand-in, not Evidently)"
        base_s, base_cpu, base = timed(lambda: scipy_verdicts(reference, current), 1)
    print(f"load average after the compared runs: {load_average()}")

    print(
        f"{'predledger histogram mode':<40} {hist_s:>9.3f} s   {base_s / hist_s:>8.0f}x faster   "
        f"verdicts agree {agreement(hist, base):.0%}   (cpu {hist_cpu:.3f} s)"
    )
    print(
        f"{'predledger exact mode':<40} {exact_s:>9.3f} s   {base_s / exact_s:>8.1f}x faster   "
        f"verdicts agree {agreement(exact, base):.0%}   (cpu {exact_cpu:.1f} s)"
    )
    print(f"{baseline_name:<40} {base_s:>9.3f} s   (cpu {base_cpu:.1f} s)")
    print(
        f"drifted features: histogram {sum(hist.values())}, exact {sum(exact.values())}, "
        f"baseline {sum(base.values())} of {len(base)}"
    )
    disagree = sorted(
        name for name in base if hist[name] != base[name] or exact[name] != base[name]
    )
    if disagree:
        print(
            "disagreements (feature: histogram/exact/baseline): "
            + ", ".join(f"{n}: {hist[n]}/{exact[n]}/{base[n]}" for n in disagree)
        )


if __name__ == "__main__":
    main()
