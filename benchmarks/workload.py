"""What the benchmarks log, and the throwaway databases they log it into.

Each benchmark gets a database of its own: a SQLite file in a fresh temporary folder, or
a fresh PostgreSQL schema that is dropped at the end. The schema is built by predledger's
own migrations, so every phase writes the same table definition.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import psycopg

from predledger.store.engine import Store
from predledger.store.migrate import upgrade

Backend = Literal["sqlite", "postgresql"]
BACKENDS: tuple[Backend, ...] = ("sqlite", "postgresql")

FEATURE_COUNT = 20
FEATURE_NAMES = tuple(f"feature_{i:02d}" for i in range(FEATURE_COUNT))
LABELS = ("churn", "stay")
MODEL = "bench-model"
VERSION = "1"
INGEST_TABLES = ("predictions", "prediction_rollups", "prediction_latency_buckets")

PG_HOST_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


@dataclass(frozen=True)
class PredictionInput:
    """One prediction as a model service has it in hand: features and outputs."""

    features: dict[str, float]
    label: str
    probability: float
    latency_ms: float


def make_predictions(count: int, *, seed: int = 7) -> list[PredictionInput]:
    """``count`` distinct predictions with 20 float features each."""
    rng = random.Random(seed)
    predictions = []
    for _ in range(count):
        features = {name: rng.gauss(0.0, 1.0) for name in FEATURE_NAMES}
        probability = rng.random()
        predictions.append(
            PredictionInput(
                features=features,
                label=LABELS[probability >= 0.5],
                probability=probability,
                latency_ms=rng.lognormvariate(1.0, 0.5),
            )
        )
    return predictions


@dataclass
class BenchDatabase:
    """A migrated, throwaway database for one benchmark run."""

    backend: Backend
    url: str
    store: Store
    workdir: Path
    schema: str | None = None

    def truncate(self) -> None:
        """Empty the ingest tables and settle the database's logs between phases."""
        if self.backend == "sqlite":
            raw = self.store.engine.raw_connection()
            try:
                driver = raw.driver_connection
                assert driver is not None
                for table in INGEST_TABLES:
                    driver.execute(f"DELETE FROM {table}")
                driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
            return
        with psycopg.connect(PG_DSN, autocommit=True) as connection:
            connection.execute(f"TRUNCATE {', '.join(f'{self.schema}.{t}' for t in INGEST_TABLES)}")
            connection.execute("CHECKPOINT")

    def count_predictions(self) -> int:
        """Rows in the predictions table."""
        raw = self.store.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SELECT count(*) FROM predictions")
            row = cursor.fetchone()
            cursor.close()
            raw.commit()
        finally:
            raw.close()
        assert row is not None
        return int(row[0])


@contextmanager
def bench_database(backend: Backend, *, workdir: str | None = None) -> Iterator[BenchDatabase]:
    """A fresh database, migrated to head, removed afterwards.

    Args:
        backend: ``"sqlite"`` (a file in a temporary folder) or ``"postgresql"`` (a schema
            of its own in the ``test`` database on 127.0.0.1).
        workdir: where to make the temporary folder (the SQLite file and the journals).
    """
    folder = Path(tempfile.mkdtemp(prefix="predledger-bench-", dir=workdir))
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_DSN, autocommit=True) as connection:
            connection.execute(f"CREATE SCHEMA {schema}")
        url = f"{PG_HOST_URL}?options=-csearch_path%3D{schema}"
    store = Store(url)
    try:
        upgrade(store)
        yield BenchDatabase(backend=backend, url=url, store=store, workdir=folder, schema=schema)
    finally:
        store.dispose()
        if schema is not None:
            with psycopg.connect(PG_DSN, autocommit=True) as connection:
                connection.execute(f"DROP SCHEMA {schema} CASCADE")
        shutil.rmtree(folder, ignore_errors=True)
