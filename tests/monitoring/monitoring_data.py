"""Reference data and traffic for the monitoring tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from predledger import Ledger


def reference_frame(rows: int = 2000, seed: int = 1) -> pd.DataFrame:
    """Two numeric features and one categorical, as a model's validation set."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "income": rng.normal(50.0, 10.0, rows),
            "age": rng.normal(40.0, 12.0, rows),
            "plan": rng.choice(["basic", "pro", "team"], rows, p=[0.6, 0.3, 0.1]),
        }
    )


def traffic(rows: int, *, shifted: bool, seed: int = 2) -> list[dict[str, Any]]:
    """Feature dicts as a service logs them, like the reference or clearly shifted."""
    rng = np.random.default_rng(seed)
    shift = 1.5 if shifted else 0.0
    income = rng.normal(50.0 + 10.0 * shift, 10.0, rows)
    age = rng.normal(40.0 + 12.0 * shift, 12.0, rows)
    probabilities = [0.1, 0.3, 0.6] if shifted else [0.6, 0.3, 0.1]
    plan = rng.choice(["basic", "pro", "team"], rows, p=probabilities)
    return [
        {"income": float(i), "age": float(a), "plan": str(p)}
        for i, a, p in zip(income, age, plan, strict=True)
    ]


def log_traffic(ledger: Ledger, model: str, version: str, rows: list[dict[str, Any]]) -> None:
    """Log one prediction per row and wait until they are all written."""
    ledger.log_many(
        {"model": model, "version": version, "inputs": row, "label": "yes", "latency_ms": 5.0}
        for row in rows
    )
    assert ledger.flush(timeout=60)
