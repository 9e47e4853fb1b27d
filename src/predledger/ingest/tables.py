"""How each kind of record becomes a row: the columns, in order, and their values.

Values come out as plain Python (``str``, ``float``, ``int``, ``bool``, ``None``) with
timestamps as microseconds since the epoch; each bulk writer turns them into its
database's wire format in one pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from predledger.ingest.records import (
    KIND_PERFORMANCE_METRIC,
    KIND_PREDICTION,
    KIND_REQUEST,
    KIND_SYSTEM_METRIC,
    JsonText,
)

Row = tuple[Any, ...]
# Turns microseconds since the epoch into what the backend's bulk insert wants.
TimestampFormat = Callable[[int], Any]
_JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, option=_JSON_OPTIONS).decode()


class Timestamp(int):
    """Microseconds since the epoch, marked so writers format it as a timestamp."""

    __slots__ = ()


def _prediction_row(r: dict[str, Any], ts: TimestampFormat) -> Row:
    inputs = r.get("inputs")
    if inputs is not None and type(inputs) is not JsonText:
        inputs = JsonText(_json(inputs))
    return (
        r["id"], ts(r["ts"]), r["model"], r["version"], r["prediction_type"],
        r.get("request_id"), r.get("batch_id"), r.get("session_id"), r.get("dataset_id"),
        inputs,
        None if r.get("feature_names") is None else JsonText(_json(r["feature_names"])),
        r.get("input_hash"), r.get("label"), r.get("probability"),
        None if r.get("probabilities") is None else JsonText(_json(r["probabilities"])),
        r.get("value"), r.get("interval_low"), r.get("interval_high"),
        r.get("confidence_level"), r.get("latency_ms"), r.get("status", "success"),
        r.get("error_message"), bool(r.get("cache_hit", False)), r.get("client_ip"),
        r.get("user_agent"),
    )  # fmt: skip


def _request_row(r: dict[str, Any], ts: TimestampFormat) -> Row:
    return (
        r["id"], ts(r["ts"]), r["endpoint"], r["method"], r["status_code"],
        r["response_time_ms"], r.get("client_ip"), r.get("user_agent"), r.get("request_size"),
        r.get("response_size"), r.get("cpu_percent"), r.get("memory_mb"), r.get("error"),
        r.get("session_id"),
    )  # fmt: skip


def _system_metric_row(r: dict[str, Any], ts: TimestampFormat) -> Row:
    labels = r.get("labels")
    return (
        r["id"], ts(r["ts"]), r["name"], r["value"],
        None if labels is None else JsonText(_json(labels)),
    )  # fmt: skip


def _performance_metric_row(r: dict[str, Any], ts: TimestampFormat) -> Row:
    labels = r.get("labels")
    start, end = r.get("window_start"), r.get("window_end")
    return (
        r["id"], ts(r["ts"]), r["model"], r["version"], r["name"], r["value"],
        r.get("metric_kind", "realized"), r.get("stage"),
        None if start is None else ts(start), None if end is None else ts(end),
        r.get("dataset_version"), None if labels is None else JsonText(_json(labels)),
    )  # fmt: skip


@dataclass(frozen=True)
class TableSpec:
    """Where one kind of record goes."""

    kind: str
    table: str
    columns: tuple[str, ...]
    row: Callable[[dict[str, Any], TimestampFormat], Row]


PREDICTIONS = TableSpec(
    KIND_PREDICTION,
    "predictions",
    (
        "id", "created_at", "model_name", "model_version", "prediction_type", "request_id",
        "batch_id", "session_id", "dataset_id", "inputs", "feature_names", "input_hash",
        "label", "score", "probabilities", "value", "interval_low", "interval_high",
        "confidence_level", "latency_ms", "status", "error_message", "cache_hit",
        "client_ip", "user_agent",
    ),
    _prediction_row,
)  # fmt: skip
API_REQUESTS = TableSpec(
    KIND_REQUEST,
    "api_requests",
    (
        "id", "created_at", "endpoint", "method", "status_code", "response_time_ms",
        "client_ip", "user_agent", "request_size", "response_size", "cpu_percent",
        "memory_mb", "error", "session_id",
    ),
    _request_row,
)  # fmt: skip
SYSTEM_METRICS = TableSpec(
    KIND_SYSTEM_METRIC,
    "system_metrics",
    ("id", "created_at", "name", "value", "labels"),
    _system_metric_row,
)
PERFORMANCE_METRICS = TableSpec(
    KIND_PERFORMANCE_METRIC,
    "performance_metrics",
    (
        "id", "created_at", "model_name", "model_version", "metric_name", "value", "kind",
        "stage", "window_start", "window_end", "dataset_version", "labels",
    ),
    _performance_metric_row,
)  # fmt: skip

TABLES: dict[str, TableSpec] = {
    spec.kind: spec for spec in (PREDICTIONS, API_REQUESTS, SYSTEM_METRICS, PERFORMANCE_METRICS)
}
