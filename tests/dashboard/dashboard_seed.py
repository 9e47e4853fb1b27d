"""A ledger with something on every dashboard page, seeded through predledger's library.

History (the last day and a half, hour by hour) goes through the bulk writer with
timestamps in the past, as the journal replay would write it; the newest predictions go
through ``Ledger.log``. Then: ground truth, the performance job, system metrics and
requests, drift reports, alert rules with their alerts, and proposed actions.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from predledger import Ledger, Store
from predledger.actions import operations as actions
from predledger.alerts import operations as alerts
from predledger.drift.operations import run_drift_report
from predledger.feedback.schemas import FeedbackCreate
from predledger.feedback.service import record_feedback
from predledger.ingest.bulk import build_bulk_writer
from predledger.performance.monitor import run_performance_job
from predledger.registry import ReferenceDataset, register_model_version

HOUR_US = 3_600_000_000
HISTORY_HOURS = 36
DRIFT_HOURS = 6
PLANS = ("basic", "pro", "team")


def id_at(micros: int, rng: random.Random) -> tuple[str, int]:
    """A UUIDv7 made at ``micros`` (as ``predledger.ids.new_id`` makes them) and its exact
    time: the id keeps a quarter-microsecond fraction, so the time read back may differ."""
    ms, rest = divmod(micros, 1000)
    sub = (rest * 4096) // 1000
    value = (ms << 80) | (0x7 << 76) | (sub << 64) | (0b10 << 62) | rng.getrandbits(62)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}", ms * 1000 + (sub * 1000) // 4096


@dataclass
class Seeded:
    """What the seed made, for tests to look up."""

    prediction_ids: list[str] = field(default_factory=list)
    labelled_id: str = ""
    alert_ids: list[int] = field(default_factory=list)
    pending_action_id: int = 0


def churn_reference(rows: int = 1500, seed: int = 1) -> pd.DataFrame:
    """The churn model's validation set: features, true label and predicted probability."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50.0, 10.0, rows)
    age = rng.normal(40.0, 12.0, rows)
    plan = rng.choice(PLANS, rows, p=[0.6, 0.3, 0.1])
    p_yes = 1 / (1 + np.exp(-(income - 50.0) / 8.0))
    churned = np.where(rng.random(rows) < p_yes, "yes", "no")
    return pd.DataFrame(
        {"income": income, "age": age, "plan": plan, "churned": churned, "p_yes": p_yes}
    )


def register_models(store: Store) -> None:
    """churn 1 (production), churn 2 (staging), price 1 (production)."""
    reference = ReferenceDataset(churn_reference(), target="churned", probabilities=["p_yes"])
    common: dict[str, Any] = {"algorithm": "LogisticRegression", "reference": reference}
    register_model_version(
        store, name="churn", version="1", metrics={"accuracy": 0.86}, stage="production",
        classes=["no", "yes"], actor="alice", **common,
    )  # fmt: skip
    register_model_version(
        store, name="churn", version="2", metrics={"accuracy": 0.88}, stage="staging",
        classes=["no", "yes"], actor="alice", **common,
    )  # fmt: skip
    register_model_version(
        store, name="price", version="1", algorithm="Ridge", metrics={"rmse": 21.5},
        feature_names=["rooms", "area"], task="regression", stage="production", actor="bob",
    )  # fmt: skip


def _churn(rng: random.Random, shifted: bool) -> dict[str, Any]:
    shift = 15.0 if shifted else 0.0
    features = {
        "income": rng.gauss(50.0 + shift, 10.0),
        "age": rng.gauss(40.0 + shift, 12.0),
        "plan": rng.choices(PLANS, weights=(1, 3, 6) if shifted else (6, 3, 1))[0],
    }
    p_yes = 1 / (1 + np.exp(-(features["income"] - 50.0) / 8.0))
    return {
        "inputs": features,
        "label": "yes" if p_yes >= 0.5 else "no",
        "probability": float(max(p_yes, 1 - p_yes)),
        "probabilities": {"no": float(1 - p_yes), "yes": float(p_yes)},
    }


def _price(rng: random.Random) -> dict[str, Any]:
    rooms, area = rng.randint(1, 6), rng.uniform(30, 200)
    return {"inputs": {"rooms": rooms, "area": area}, "value": 50 + 1.5 * area + 10 * rooms}


def _sentiment(rng: random.Random) -> dict[str, Any]:
    label = rng.choices(("positive", "negative", "neutral"), weights=(5, 3, 2))[0]
    return {"inputs": f"a {label} review", "label": label, "probability": rng.uniform(0.5, 1)}


def _prediction(rng: random.Random, model: str, version: str, shifted: bool) -> dict[str, Any]:
    body = (
        _churn(rng, shifted)
        if model == "churn"
        else _price(rng)
        if model == "price"
        else _sentiment(rng)
    )
    failed = rng.random() < 0.03
    return {
        "model": model,
        "version": version,
        "latency_ms": rng.lognormvariate(2.0, 0.5),
        "cache_hit": rng.random() < 0.12,
        "status": "error" if failed else "success",
        **({"error_message": "feature store timed out"} if failed else {}),
        **body,
    }


def _history_records(now_us: int, rng: random.Random) -> list[dict[str, Any]]:
    plan = (("churn", "1", 30), ("churn", "2", 6), ("price", "1", 15), ("sentiment", "3", 20))
    records = []
    for hours_ago in range(HISTORY_HOURS, 0, -1):
        start = now_us - hours_ago * HOUR_US
        for model, version, per_hour in plan:
            if version == "2" and hours_ago > 12:
                continue
            for _ in range(per_hour + rng.randint(-3, 3)):
                key, ts = id_at(start + rng.randrange(HOUR_US), rng)
                fields = _prediction(rng, model, version, shifted=hours_ago <= DRIFT_HOURS)
                prediction_type = "text" if model == "sentiment" else "features"
                records.append(
                    {"k": "p", "id": key, "ts": ts, "prediction_type": prediction_type, **fields}
                )
    return records


def _service_records(now_us: int, rng: random.Random) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for step in range(120):
        for name, value in (
            ("cpu_percent", 20 + 15 * np.sin(step / 9) + rng.uniform(0, 8)),
            ("memory_percent", 41 + step * 0.05 + rng.uniform(0, 1)),
            ("process_memory_mb", 180 + step * 0.3 + rng.uniform(0, 4)),
        ):
            key, ts = id_at(now_us - (120 - step) * 30_000_000, rng)
            records.append({"k": "s", "id": key, "ts": ts, "name": name, "value": float(value)})
    endpoints = (("/v1/predictions", "POST"), ("/predict", "POST"), ("/v1/feedback", "POST"),
                 ("/analytics/summary", "GET"))  # fmt: skip
    for _ in range(600):
        key, ts = id_at(now_us - rng.randrange(HOUR_US), rng)
        endpoint, method = rng.choice(endpoints)
        status = rng.choices((200, 201, 422, 500), weights=(80, 10, 6, 2))[0]
        records.append(
            {"k": "r", "id": key, "ts": ts, "endpoint": endpoint, "method": method,
             "status_code": status, "response_time_ms": rng.lognormvariate(1.5, 0.6)}
        )  # fmt: skip
    return records


def _feedback(store: Store, records: list[dict[str, Any]], rng: random.Random) -> str:
    items = []
    for record in records:
        if record["model"] == "sentiment" or record["status"] != "success":
            continue
        if rng.random() < 0.6:
            if record["model"] == "churn":
                right = rng.random() < 0.85
                actual = record["label"] if right else {"yes": "no", "no": "yes"}[record["label"]]
                items.append(FeedbackCreate(prediction_id=record["id"], actual=actual))
            else:
                actual_value = record["value"] + rng.gauss(0, 20)
                items.append(FeedbackCreate(prediction_id=record["id"], actual=actual_value))
    with store.transaction() as session:
        record_feedback(session, items)
    return str(items[-1].prediction_id)


def _monitoring(store: Store, seeded: Seeded, now: datetime) -> None:
    run_drift_report(store, model="churn", start=now - timedelta(hours=30),
                     end=now - timedelta(hours=24), actor="monitor")  # fmt: skip
    run_drift_report(store, model="churn", hours=DRIFT_HOURS, actor="monitor")
    alerts.create_rule(
        store, name="churn drift", kind="drift", model="churn", severity="critical",
        action_policy={"type": "rollback", "risk_level": "high",
                       "description": "roll churn back while the drift is looked at"},
    )  # fmt: skip
    alerts.create_rule(store, name="errors over 1%", kind="error_rate", threshold=0.01,
                       window_minutes=24 * 60)  # fmt: skip
    alerts.evaluate_and_notify(store)
    with store.transaction() as session:
        from predledger.alerts.queries import list_alerts

        seeded.alert_ids = [a.id for a in list_alerts(session, status="active")]
    proposed = actions.propose_action(
        store, action_type="promote", model="churn", risk_level="medium", actor="monitor",
        parameters={"version": "2"}, description="promote churn 2: better offline accuracy",
    )  # fmt: skip
    seeded.pending_action_id = proposed.id


def seed_dashboard(database_url: str, journal_dir: str) -> Seeded:
    """Fill a fresh database with a day and a half of everything the dashboard shows."""
    rng = random.Random(7)
    seeded = Seeded()
    store = Store(database_url)
    try:
        ledger = Ledger(database_url, journal_dir=journal_dir, flush_interval=0.02)
        register_models(store)
        now = datetime.now(UTC)
        now_us = int(now.timestamp() * 1_000_000)
        history = _history_records(now_us, rng)
        writer = build_bulk_writer(store.engine)
        for start in range(0, len(history), 2000):
            writer.write(history[start : start + 2000])
        writer.write(_service_records(now_us, rng))
        writer.close()
        for _ in range(40):
            fields = _prediction(rng, "churn", "1", shifted=True)
            seeded.prediction_ids.append(ledger.log(**fields, request_id=f"req-{rng.random()}"))
        assert ledger.flush(timeout=60)
        ledger.close()
        seeded.labelled_id = _feedback(store, history, rng)
        run_performance_job(store, now=now, lookback=timedelta(hours=HISTORY_HOURS + 1))
        _monitoring(store, seeded, now)
    finally:
        store.dispose()
    return seeded


if __name__ == "__main__":  # a database to look at: python tests/dashboard/dashboard_seed.py URL
    import sys

    started = time.perf_counter()
    print(seed_dashboard(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ".journal"))  # noqa: T201
    print(f"{time.perf_counter() - started:.1f} s")  # noqa: T201
