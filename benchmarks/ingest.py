"""Sustained ingest: the ledger beside the naive way and the physical limit, same run.

    .venv/bin/python benchmarks/ingest.py --backend sqlite --rows 200000
    .venv/bin/python benchmarks/ingest.py --backend postgresql --rows 200000

Three phases write 20-feature predictions into the same ``predictions`` table (built by
predledger's migrations), emptied between phases:

- ledger: ``Ledger.log()`` per prediction from the first call until ``flush()`` returns,
  i.e. until every row (and its rollups) is committed; default settings (journal on).
- naive: the SQLAlchemy ORM, one ``session.add(Prediction(...))`` and commit per row, on a
  plain ``create_engine(url)`` (SQLAlchemy's defaults: what an application writes first).
  On SQLite it runs a second time on predledger's engine (WAL, ``synchronous=NORMAL``), for
  context: the file is in WAL mode either way, the plain engine syncs every commit.
- limit: the raw driver writing rows built beforehand, in one transaction: ``sqlite3``
  ``executemany`` of tuples, or psycopg ``COPY`` of a text payload; only the columns the
  rows fill, as the writer does (each NULL bound costs sqlite3 an adapter lookup: with all
  25 columns this "limit" ran at 36k rows/s, with the 11 filled at 60k).

Each phase runs once to warm up (first-touched memory is slow on small VMs), then the
phases take turns, ``--repeat`` (3) measured passes each, and each phase's median pass is
reported: on a small shared VM one pass can run twice as fast as the next, and taking turns
lets such swings reach every phase alike.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from workload import (
    BACKENDS,
    MODEL,
    VERSION,
    Backend,
    BenchDatabase,
    PredictionInput,
    bench_database,
    make_predictions,
)

from predledger import Ledger
from predledger.ids import micros_to_datetime, new_id
from predledger.ingest.tables import PREDICTIONS, batch_columns
from predledger.predictions.models import Prediction
from predledger.store.dialect import postgres_timestamp, sqlite_timestamp

POOL_SIZE = 20_000
LIMIT_TARGET = 0.7
NAIVE_TARGET = 30.0


@dataclass(frozen=True)
class PhaseResult:
    """One measured pass of a phase."""

    name: str
    rows: int
    seconds: float
    note: str = ""

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


# -- ledger -------------------------------------------------------------------------------


def run_ledger(
    db: BenchDatabase, pool: list[PredictionInput], rows: int, batch_size: int, run: str
) -> PhaseResult:
    """Log ``rows`` predictions and wait until all are committed."""
    ledger = Ledger(db.url, journal_dir=db.workdir / f"journal-{run}", batch_size=batch_size)
    try:
        log = ledger.log
        size = len(pool)
        start = time.perf_counter()
        for i in range(rows):
            p = pool[i % size]
            log(
                model=MODEL,
                version=VERSION,
                inputs=p.features,
                label=p.label,
                probability=p.probability,
                latency_ms=p.latency_ms,
            )
        logged = time.perf_counter()
        flushed = ledger.flush(timeout=600)
        end = time.perf_counter()
        stats = ledger.stats()
    finally:
        ledger.close()
    if not flushed or stats.written != rows or stats.last_error:
        raise SystemExit(f"the ledger did not commit everything: {stats}")
    note = f"log() loop {logged - start:.2f} s ({rows / (logged - start):,.0f}/s), then flush"
    return PhaseResult("ledger", rows, end - start, note)


# -- naive --------------------------------------------------------------------------------


def run_naive(engine: Engine, name: str, pool: list[PredictionInput], rows: int) -> PhaseResult:
    """One ORM object and one commit per prediction, as a first version would do it."""
    size = len(pool)
    start = time.perf_counter()
    for i in range(rows):
        p = pool[i % size]
        record_id, micros = new_id()
        with Session(engine) as session, session.begin():
            session.add(
                Prediction(
                    id=record_id,
                    created_at=micros_to_datetime(micros),
                    model_name=MODEL,
                    model_version=VERSION,
                    prediction_type="features",
                    inputs=p.features,
                    label=p.label,
                    score=p.probability,
                    latency_ms=p.latency_ms,
                    status="success",
                    cache_hit=False,
                )
            )
    return PhaseResult(name, rows, time.perf_counter() - start)


# -- limit --------------------------------------------------------------------------------


Row = tuple[Any, ...]


def ledger_rows(
    pool: list[PredictionInput], rows: int, timestamp: Callable[[int], str]
) -> tuple[list[str], list[Row]]:
    """The columns the ledger's writer fills and its rows, in ``PREDICTIONS`` order, built ahead.

    Columns no record gives (NULL in every row) are left out, as the writer leaves them
    out: binding or copying a NULL per row per column only slows the driver down.
    """
    records = []
    size = len(pool)
    for i in range(rows):
        p = pool[i % size]
        record_id, micros = new_id()
        record = {
            "k": "p",
            "id": record_id,
            "ts": micros,
            "model": MODEL,
            "version": VERSION,
            "prediction_type": "features",
            "status": "success",
            "inputs": p.features,
            "label": p.label,
            "probability": p.probability,
            "latency_ms": p.latency_ms,
        }
        records.append(record)
    batch = batch_columns(PREDICTIONS, records)
    names: list[str] = []
    columns: list[list[Any]] = []
    for field, values in zip(PREDICTIONS.fields, batch.values, strict=True):
        if values is None and field.default is None:
            continue
        names.append(field.column)
        if values is None:
            values = [field.default] * rows
        if field.kind == "time":
            columns.append([timestamp(v) for v in values])
        elif field.kind == "json":  # UTF-8 JSON bytes; both drivers take the text
            columns.append([None if v is None else v.decode() for v in values])
        elif field.kind == "flag":  # SQLite keeps a flag as 0 or 1; COPY text is 0/1 too
            columns.append([int(v) for v in values])
        else:
            columns.append(values)
    return names, list(zip(*columns, strict=True))


def _copy_field(value: object) -> str:
    if value is None:
        return "\\N"
    if type(value) is bool:
        return "t" if value else "f"
    if type(value) is float:
        return repr(value)
    return str(value)  # the benchmark's text holds no tab, newline or backslash


def copy_payload(rows: list[Row]) -> bytes:
    """Rows as one ``COPY ... FROM STDIN`` text payload."""
    return "".join("\t".join(_copy_field(v) for v in r) + "\n" for r in rows).encode()


def limit_runner(
    db: BenchDatabase, pool: list[PredictionInput], count: int
) -> Callable[[], PhaseResult]:
    """The raw driver's insert of prebuilt rows, built now and timed when called."""
    if db.backend == "sqlite":
        names, tuples = ledger_rows(pool, count, sqlite_timestamp)
        columns = ", ".join(names)
        sql = f"INSERT INTO predictions ({columns}) VALUES ({', '.join('?' * len(names))})"

        def run_sqlite() -> PhaseResult:
            raw = db.store.engine.raw_connection()  # predledger's PRAGMAs: WAL, synchronous
            try:
                driver = raw.driver_connection
                assert driver is not None
                start = time.perf_counter()
                driver.execute("BEGIN IMMEDIATE")
                driver.executemany(sql, tuples)
                driver.commit()
                seconds = time.perf_counter() - start
            finally:
                raw.close()
            return PhaseResult("limit", len(tuples), seconds, "sqlite3 executemany, 1 txn")

        return run_sqlite
    names, tuples = ledger_rows(pool, count, postgres_timestamp)
    columns = ", ".join(names)
    payload = copy_payload(tuples)

    def run_postgres() -> PhaseResult:
        raw = db.store.engine.raw_connection()
        try:
            driver = raw.driver_connection
            assert driver is not None
            start = time.perf_counter()
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY predictions ({columns}) FROM STDIN") as copy,
            ):
                copy.write(payload)
            driver.commit()
            seconds = time.perf_counter() - start
        finally:
            raw.close()
        return PhaseResult("limit", count, seconds, f"psycopg COPY, {len(payload) >> 20} MiB")

    return run_postgres


# -- driver -------------------------------------------------------------------------------


def timed_pass(db: BenchDatabase, phase: Callable[[], PhaseResult], label: str) -> PhaseResult:
    """Run a phase once on empty tables, check the table holds its rows, and empty it again."""
    db.truncate()
    result = phase()
    stored = db.count_predictions()
    if stored != result.rows:
        raise SystemExit(f"{result.name}: {stored} rows in the table, expected {result.rows}")
    db.truncate()
    print(f"  {label:<9} {result.name:<10} {result.rows_per_second:>12,.0f} rows/s", flush=True)
    return result


def measured(
    db: BenchDatabase, phases: list[Callable[[], PhaseResult]], repeat: int
) -> list[PhaseResult]:
    """Each phase's median pass: all warmed up once, then run in turn ``repeat`` times.

    Taking turns puts each phase's passes in the same stretches of time, so a machine
    that gets faster or slower during the run moves every phase alike.
    """
    for phase in phases:
        timed_pass(db, phase, "warm-up")
    passes: list[list[PhaseResult]] = [[] for _ in phases]
    for round_number in range(1, repeat + 1):
        for results, phase in zip(passes, phases, strict=True):
            results.append(timed_pass(db, phase, f"pass {round_number}"))
    return [sorted(r, key=lambda p: p.rows_per_second)[len(r) // 2] for r in passes]


def ratio_line(name: str, a: PhaseResult, b: PhaseResult, target: float | None) -> str:
    ratio = a.rows_per_second / b.rows_per_second
    if target is None:
        return f"{name} = {ratio:.2f}  (context, no target)"
    return f"{name} = {ratio:.2f}  (target >= {target:g}: {'met' if ratio >= target else 'MISSED'})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, default="sqlite")
    parser.add_argument("--rows", type=int, default=200_000, help="rows for ledger and limit")
    parser.add_argument("--naive-rows", type=int, default=2_000, help="rows for the naive way")
    parser.add_argument("--batch-size", type=int, default=5_000, help="the ledger's batch_size")
    parser.add_argument("--workdir", default=None, help="folder for the SQLite file, journals")
    parser.add_argument("--repeat", type=int, default=3, help="measured passes of each phase")
    args = parser.parse_args(argv)
    backend: Backend = args.backend

    print(f"predledger ingest benchmark: {backend}, {args.rows:,} rows (naive {args.naive_rows:,})")
    print(
        f"20-feature records; each phase warmed up once, then measured {args.repeat} times in"
        " turn with the other phases; the median pass of each is reported"
    )
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    pool = make_predictions(min(POOL_SIZE, args.rows))
    with bench_database(backend, workdir=args.workdir) as db:
        print(f"database: {db.store.describe()}", flush=True)
        runs = itertools.count()
        plain = create_engine(db.url)
        phases = [
            lambda: run_ledger(db, pool, args.rows, args.batch_size, f"{next(runs)}"),
            limit_runner(db, pool, args.rows),
            # The naive way as an application writes it: a plain engine, SQLAlchemy's defaults.
            lambda: run_naive(plain, "naive", pool, args.naive_rows),
        ]
        if backend == "sqlite":  # and with predledger's engine: WAL, synchronous=NORMAL
            engine = db.store.engine
            phases.append(lambda: run_naive(engine, "naive WAL", pool, args.naive_rows))
        results = measured(db, phases, args.repeat)
        plain.dispose()
    ledger, limit, naive, *others = results
    tuned = others[0] if others else None

    print()
    print(f"{'phase':<10} {'rows':>9} {'seconds':>8} {'rows/s':>10}  note")
    for r in (ledger, limit, naive, tuned):
        if r is None:
            continue
        print(f"{r.name:<10} {r.rows:>9,} {r.seconds:>8.2f} {r.rows_per_second:>10,.0f}  {r.note}")
    print()
    print(ratio_line("ledger / limit", ledger, limit, LIMIT_TARGET))
    print(ratio_line("ledger / naive", ledger, naive, NAIVE_TARGET))
    if tuned is not None:
        print(ratio_line("ledger / naive WAL", ledger, tuned, None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
