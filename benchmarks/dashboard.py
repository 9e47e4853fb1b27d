"""How fast each dashboard page answers with millions of predictions in the database.

    .venv/bin/python benchmarks/dashboard.py [--rows 10000000] [--backend sqlite|postgresql]

Fills a fresh database through predledger's bulk writer (the writer thread's own path:
rows, hourly rollups and latency sketches, feature histograms) with ``--rows`` predictions
spread over ``--days`` days: five models, two versions each, a few labels, errors, cache
hits and latencies. Then, for the pages to have something to show: one version with a
reference profile, ground truth for a share of the last day, the performance job over the
last day, a drift report, alert rules with their alerts and actions, a day of system
metrics and of API requests at the same rate as the predictions.

Every page is then fetched ``--repeat`` times from predledger's own app served by uvicorn
on 127.0.0.1 (after one warm-up fetch), and the median and worst times printed: the time
from sending the request to the last byte of the answer, so the server's whole work.
``--keep FILE`` keeps the SQLite file to time again later with ``--reuse FILE``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import psycopg
import uvicorn

from predledger import Ledger, Store
from predledger.actions import operations as actions
from predledger.alerts import operations as alerts
from predledger.api import create_app
from predledger.drift.operations import run_drift_report
from predledger.feedback.schemas import FeedbackCreate
from predledger.feedback.service import record_feedback
from predledger.ingest.bulk import build_bulk_writer
from predledger.performance.monitor import run_performance_job
from predledger.registry import ReferenceDataset, register_model_version
from predledger.store.migrate import upgrade

HOUR_US = 3_600_000_000
BATCH = 20_000
MODELS = (("churn", 0.30), ("fraud", 0.25), ("price", 0.20), ("sentiment", 0.15), ("eta", 0.10))
LABELS = {"churn": ("stay", "leave"), "fraud": ("ok", "fraud"),
          "sentiment": ("positive", "negative", "neutral")}  # fmt: skip
PLANS = ("basic", "pro", "team")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
BUDGET_MS = 300.0


def uuid7_at(micros: int, rng: random.Random) -> tuple[str, int]:
    """A UUIDv7 made at ``micros`` and the exact time it carries (as ``predledger.ids``)."""
    ms, rest = divmod(micros, 1000)
    sub = (rest * 4096) // 1000
    value = (ms << 80) | (0x7 << 76) | (sub << 64) | (0b10 << 62) | rng.getrandbits(62)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}", ms * 1000 + (sub * 1000) // 4096


# -- the database ---------------------------------------------------------------------------


@contextmanager
def fresh_database(backend: str, workdir: str | None, keep: str | None) -> Iterator[str]:
    """A migrated, empty database; removed afterwards unless kept."""
    folder = Path(tempfile.mkdtemp(prefix="predledger-dashboard-", dir=workdir))
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{Path(keep).resolve() if keep else folder / 'ledger.db'}"
    else:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_DSN, autocommit=True) as connection:
            connection.execute(f"CREATE SCHEMA {schema}")
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    store = Store(url)
    upgrade(store)
    store.dispose()
    try:
        yield url
    finally:
        if schema is not None:
            with psycopg.connect(PG_DSN, autocommit=True) as connection:
                connection.execute(f"DROP SCHEMA {schema} CASCADE")
        shutil.rmtree(folder, ignore_errors=True)


def register_reference(store: Store) -> None:
    """churn 2 active with a reference profile, churn 1 archived by the promotion."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"tenure": rng.normal(24, 8, 2000), "plan": rng.choice(PLANS, 2000)})
    for version, stage in (("1", "production"), ("2", "staging")):
        register_model_version(
            store, name="churn", version=version, algorithm="GradientBoosting",
            metrics={"accuracy": 0.9}, stage=stage, reference=ReferenceDataset(frame),
            actor="bench",
        )  # fmt: skip


def prediction_batches(
    rows: int, days: float, now_us: int, seed: int = 7
) -> Iterator[list[dict[str, Any]]]:
    """``rows`` prediction records, oldest first, in batches of ``BATCH``."""
    rng = random.Random(seed)
    span = int(days * 24 * HOUR_US)
    start = now_us - span
    step = span / rows
    names = [name for name, _ in MODELS]
    weights = [weight for _, weight in MODELS]
    batch: list[dict[str, Any]] = []
    for index in range(rows):
        key, ts = uuid7_at(start + int(index * step), rng)
        model = rng.choices(names, weights)[0]
        version = "2" if index > rows // 2 or rng.random() < 0.1 else "1"
        record: dict[str, Any] = {
            "k": "p", "id": key, "ts": ts, "model": model, "version": version,
            "prediction_type": "features", "latency_ms": rng.lognormvariate(2.0, 0.6),
            "status": "error" if rng.random() < 0.01 else "success",
            "cache_hit": rng.random() < 0.1,
            "inputs": {"tenure": round(rng.gauss(24, 8), 2), "plan": rng.choice(PLANS)},
        }  # fmt: skip
        labels = LABELS.get(model)
        if labels is None:
            record["value"] = rng.uniform(5, 500)
        else:
            record["label"] = rng.choice(labels)
            record["probability"] = rng.uniform(0.5, 1.0)
        batch.append(record)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def service_records(rows_per_day: int, now_us: int, seed: int = 9) -> list[dict[str, Any]]:
    """A day of API requests at the predictions' rate, and system metrics every 15 s."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    endpoints = ("/v1/predictions", "/predict", "/v1/feedback", "/analytics/summary")
    for index in range(rows_per_day):
        key, ts = uuid7_at(now_us - 24 * HOUR_US + index * (24 * HOUR_US // rows_per_day), rng)
        records.append({
            "k": "r", "id": key, "ts": ts, "endpoint": rng.choice(endpoints), "method": "POST",
            "status_code": 500 if rng.random() < 0.005 else 200,
            "response_time_ms": rng.lognormvariate(1.5, 0.5),
        })  # fmt: skip
    for step in range(24 * 240):
        for name in ("cpu_percent", "memory_percent", "process_memory_mb"):
            key, ts = uuid7_at(now_us - 24 * HOUR_US + step * 15_000_000, rng)
            records.append({"k": "s", "id": key, "ts": ts, "name": name,
                            "value": rng.uniform(10, 90)})  # fmt: skip
    return records


def fill(url: str, rows: int, days: float) -> dict[str, float]:
    """Write everything; returns how long each part took."""
    timings: dict[str, float] = {}
    store = Store(url)
    now = datetime.now(UTC)
    now_us = int(now.timestamp() * 1_000_000)
    register_reference(store)
    started = time.perf_counter()
    writer = build_bulk_writer(store.engine)
    written = 0
    for batch in prediction_batches(rows, days, now_us):
        written += writer.write(batch)
        if written % 1_000_000 < BATCH:
            print(f"  {written:,} predictions written", flush=True)
    rows_per_day = max(1, int(rows / days))
    service = service_records(rows_per_day, now_us)
    for first in range(0, len(service), BATCH):
        writer.write(service[first : first + BATCH])
    writer.close()
    timings["predictions, rollups and service rows"] = time.perf_counter() - started
    started = time.perf_counter()
    add_monitoring(store, now)
    timings["feedback, performance job, drift, alerts"] = time.perf_counter() - started
    store.dispose()
    return timings


def add_monitoring(store: Store, now: datetime) -> None:
    """Ground truth for the last hours, their performance, a drift report, alerts, actions."""
    from predledger.predictions.queries import PredictionFilters, list_predictions
    from predledger.registry import promote_model_version

    promote_model_version(store, "churn", "2", actor="bench")
    with store.transaction() as session:
        page = list_predictions(
            session, PredictionFilters(since=now - timedelta(hours=6)), limit=1000
        )
        items = [
            FeedbackCreate(prediction_id=p.id, actual=p.label if p.label is not None else p.value)
            for p in page.items
            if p.status == "success"
        ]
        record_feedback(session, items)
    run_performance_job(store, now=now, lookback=timedelta(hours=6))
    run_drift_report(store, model="churn", hours=24, actor="bench")
    alerts.create_rule(store, name="churn drift", kind="drift", model="churn",
                       action_policy={"type": "rollback", "risk_level": "high"})  # fmt: skip
    alerts.create_rule(store, name="errors", kind="error_rate", threshold=0.005)
    alerts.evaluate_and_notify(store)
    actions.propose_action(store, action_type="retrain", model="fraud", actor="bench")


# -- timing the pages -----------------------------------------------------------------------


class Server:
    """predledger's app under uvicorn on a free loopback port, in a thread."""

    def __init__(self, url: str, journal: Path) -> None:
        self.ledger = Ledger(url, journal_dir=journal)
        app = create_app(self.ledger, log_files=False)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.ledger.close()


def pages(client: httpx.Client) -> list[tuple[str, str]]:
    """The pages to time: every page, and the heavier variants of some."""
    newest = client.get("/v1/predictions", params={"limit": 1}).json()["items"][0]["id"]
    return [
        ("overview, 24 h", "/dashboard/"),
        ("overview, 7 days", "/dashboard/?range=7d"),
        ("overview, 30 days", "/dashboard/?range=30d"),
        ("overview refresh (JSON)", "/dashboard/data/overview"),
        ("predictions", "/dashboard/predictions"),
        ("predictions of one model", "/dashboard/predictions?model=churn"),
        ("predictions: model, version, label",
         "/dashboard/predictions?model=churn&version=2&label=leave"),
        ("predictions: errors", "/dashboard/predictions?status=error"),
        ("prediction detail", f"/dashboard/predictions/{newest}"),
        ("models", "/dashboard/models"),
        ("performance", "/dashboard/performance"),
        ("drift", "/dashboard/drift"),
        ("alerts", "/dashboard/alerts"),
        ("actions", "/dashboard/actions"),
        ("system, 1 h", "/dashboard/system"),
        ("system, 15 min", "/dashboard/system?range=15m"),
    ]  # fmt: skip


def time_pages(url: str, workdir: Path, repeat: int) -> list[tuple[str, float, float, float]]:
    """First, median and worst milliseconds of each page (the first fetch of a fresh server)."""
    results = []
    with Server(url, workdir / "journal") as base, httpx.Client(base_url=base, timeout=120) as c:
        for name, path in pages(c):
            started = time.perf_counter()
            assert c.get(path).status_code == 200, path
            first = (time.perf_counter() - started) * 1000
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                answer = c.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, (path, answer.status_code)
            results.append((name, first, statistics.median(times), max(times)))
    return results


def count_rows(url: str) -> int:
    store = Store(url)
    with store.engine.connect() as connection:
        from sqlalchemy import text

        total = connection.execute(text("SELECT sum(count) FROM prediction_rollups")).scalar()
    store.dispose()
    return int(total or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", default=None, help="where the temporary files go")
    parser.add_argument("--keep", default=None, help="keep the SQLite file at this path")
    parser.add_argument("--reuse", default=None, help="time the pages of this SQLite file")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="predledger-dashboard-run-", dir=args.workdir))
    try:
        if args.reuse:
            report(f"sqlite:///{Path(args.reuse).resolve()}", work, args.repeat, {})
            return
        with fresh_database(args.backend, args.workdir, args.keep) as url:
            print(f"filling {args.backend} with {args.rows:,} predictions over {args.days:g} "
                  "days...", flush=True)  # fmt: skip
            report(url, work, args.repeat, fill(url, args.rows, args.days))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(url: str, work: Path, repeat: int, timings: dict[str, float]) -> None:
    for what, seconds in timings.items():
        print(f"{what}: {seconds:,.0f} s")
    print(f"predictions in the rollups: {count_rows(url):,}")
    results = time_pages(url, work, repeat)
    width = max(len(row[0]) for row in results)
    print(f"\n{'page':<{width}}  first ms  median ms  worst ms")
    for name, first, median, worst in results:
        flag = "" if worst < BUDGET_MS else "  over the 300 ms budget"
        print(f"{name:<{width}}  {first:8.1f}  {median:9.1f}  {worst:8.1f}{flag}")
    slowest = max(row[3] for row in results)
    print(f"\nslowest page, worst of {repeat} after the first: {slowest:.1f} ms "
          f"(budget {BUDGET_MS:.0f} ms)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
