"""Reading back what the ledger stored, to compare with what was logged."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import create_engine, text

from predledger.config import resolve_database_url


def query(url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Rows of a query as dicts, through a short-lived engine."""
    engine = create_engine(resolve_database_url(url))
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def stored_id_counts(url: str, table: str = "predictions") -> Counter[str]:
    """How many times each id is stored (the primary key makes it at most once)."""
    return Counter(str(row["id"]) for row in query(url, f"SELECT id FROM {table}"))


def rollups_match_raw_rows(url: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rollup table and the same figures from a GROUP BY over the raw rows, both sorted."""
    rollups = query(
        url,
        "SELECT model_name, model_version, label, status, count, cache_hits, score_count,"
        " score_sum, latency_count, latency_sum, latency_max, value_count, value_sum"
        " FROM prediction_rollups",
    )
    raw = query(
        url,
        "SELECT model_name, model_version, COALESCE(label, '') AS label, status,"
        " COUNT(*) AS count, SUM(CASE WHEN cache_hit THEN 1 ELSE 0 END) AS cache_hits,"
        " COUNT(score) AS score_count, COALESCE(SUM(score), 0) AS score_sum,"
        " COUNT(latency_ms) AS latency_count, COALESCE(SUM(latency_ms), 0) AS latency_sum,"
        " COALESCE(MAX(latency_ms), 0) AS latency_max, COUNT(value) AS value_count,"
        " COALESCE(SUM(value), 0) AS value_sum"
        " FROM predictions GROUP BY model_name, model_version, COALESCE(label, ''), status",
    )

    def merged(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        totals: dict[tuple[Any, ...], list[float]] = {}
        for row in rows:
            key = (row["model_name"], row["model_version"], row["label"], row["status"])
            values = [
                float(row[c])
                for c in ("count", "cache_hits", "score_count", "score_sum", "latency_count",
                          "latency_sum", "value_count", "value_sum")
            ]  # fmt: skip
            acc = totals.setdefault(key, [0.0] * (len(values) + 1))
            for i, v in enumerate(values):
                acc[i] += v
            acc[-1] = max(acc[-1], float(row["latency_max"]))
        return sorted((*k, *(round(v, 6) for v in acc)) for k, acc in totals.items())

    return merged(rollups), merged(raw)
