"""How each kind of record becomes rows: the columns, in order, and where their values come from.

A batch is read column by column (``BatchColumns``): one list of values per column, taken
from every record in one pass of C-level code (``map(itemgetter(...))``), rather than one
tuple per record built by a Python function. Values come out as plain Python (``str``,
``float``, ``int``, ``bool``, ``None``; JSON columns as UTF-8 JSON ``bytes``) with
timestamps as microseconds since the epoch; each bulk writer turns whole columns into
its database's wire format.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from typing import Any, Final, Literal

import orjson

from predledger.ingest.records import (
    KIND_PERFORMANCE_METRIC,
    KIND_PREDICTION,
    KIND_REQUEST,
    KIND_SYSTEM_METRIC,
)

# text: str as given; number: int or float; json: UTF-8 JSON bytes (encoded inputs as they
# are, other values encoded); time: microseconds since the epoch; flag: bool.
FieldKind = Literal["text", "number", "json", "time", "flag"]
# One column of a batch: its values in record order, or ``None`` when no record of the
# batch has the field (every row then holds the field's default).
Column = list[Any] | None
_JSON_OPTIONS: Final = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
_BYTES: Final = frozenset({bytes})


@dataclass(frozen=True)
class Field:
    """One table column and the record field it is filled from."""

    column: str
    key: str
    kind: FieldKind = "text"
    required: bool = False
    default: Any = None


@dataclass(frozen=True)
class TableSpec:
    """Where one kind of record goes."""

    kind: str
    table: str
    fields: tuple[Field, ...]

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """The table's column names, in the order of ``fields``."""
        return tuple(f.column for f in self.fields)


@dataclass(frozen=True)
class BatchColumns:
    """A batch of one kind's records, read column by column."""

    spec: TableSpec
    count: int
    values: list[Column]

    def of(self, key: str) -> Column:
        """The column filled from the record field ``key``."""
        for field, column in zip(self.spec.fields, self.values, strict=True):
            if field.key == key:
                return column
        raise KeyError(key)

    def filled(self, key: str) -> list[Any]:
        """The values of field ``key``, with its default repeated when no record has it."""
        column = self.of(key)
        if column is not None:
            return column
        default = next(f.default for f in self.spec.fields if f.key == key)
        return [default] * self.count


def batch_columns(spec: TableSpec, records: list[dict[str, Any]]) -> BatchColumns:
    """Read records of ``spec.kind`` column by column.

    Raises:
        KeyError: a record lacks a required field.
    """
    given = set().union(*records)
    values = [
        _field_values(field, records) if field.required or field.key in given else None
        for field in spec.fields
    ]
    return BatchColumns(spec, len(records), values)


def _field_values(field: Field, records: list[dict[str, Any]]) -> list[Any]:
    try:
        values = list(map(itemgetter(field.key), records))
    except KeyError:
        if field.required:
            raise
        values = [r.get(field.key, field.default) for r in records]
    if field.kind == "json":
        values = _json_bytes(values)
    elif field.kind == "flag":
        values = list(map(bool, values))
    return values


def _json_bytes(values: list[Any]) -> list[bytes | None]:
    if _BYTES.issuperset(map(type, values)):  # inputs of encoded records, each record's given
        return values
    return [
        v if v is None or type(v) is bytes else orjson.dumps(v, option=_JSON_OPTIONS)
        for v in values
    ]


PREDICTIONS = TableSpec(
    KIND_PREDICTION,
    "predictions",
    (
        Field("id", "id", required=True),
        Field("created_at", "ts", "time", required=True),
        Field("model_name", "model", required=True),
        Field("model_version", "version", required=True),
        Field("prediction_type", "prediction_type", required=True),
        Field("request_id", "request_id"),
        Field("batch_id", "batch_id"),
        Field("session_id", "session_id"),
        Field("dataset_id", "dataset_id"),
        Field("inputs", "inputs", "json"),
        Field("feature_names", "feature_names", "json"),
        Field("input_hash", "input_hash"),
        Field("label", "label"),
        Field("score", "probability", "number"),
        Field("probabilities", "probabilities", "json"),
        Field("value", "value", "number"),
        Field("interval_low", "interval_low", "number"),
        Field("interval_high", "interval_high", "number"),
        Field("confidence_level", "confidence_level", "number"),
        Field("latency_ms", "latency_ms", "number"),
        Field("status", "status", default="success"),
        Field("error_message", "error_message"),
        Field("cache_hit", "cache_hit", "flag", default=False),
        Field("client_ip", "client_ip"),
        Field("user_agent", "user_agent"),
    ),
)
API_REQUESTS = TableSpec(
    KIND_REQUEST,
    "api_requests",
    (
        Field("id", "id", required=True),
        Field("created_at", "ts", "time", required=True),
        Field("endpoint", "endpoint", required=True),
        Field("method", "method", required=True),
        Field("status_code", "status_code", "number", required=True),
        Field("response_time_ms", "response_time_ms", "number", required=True),
        Field("client_ip", "client_ip"),
        Field("user_agent", "user_agent"),
        Field("request_size", "request_size", "number"),
        Field("response_size", "response_size", "number"),
        Field("cpu_percent", "cpu_percent", "number"),
        Field("memory_mb", "memory_mb", "number"),
        Field("error", "error"),
        Field("session_id", "session_id"),
    ),
)
SYSTEM_METRICS = TableSpec(
    KIND_SYSTEM_METRIC,
    "system_metrics",
    (
        Field("id", "id", required=True),
        Field("created_at", "ts", "time", required=True),
        Field("name", "name", required=True),
        Field("value", "value", "number", required=True),
        Field("labels", "labels", "json"),
    ),
)
PERFORMANCE_METRICS = TableSpec(
    KIND_PERFORMANCE_METRIC,
    "performance_metrics",
    (
        Field("id", "id", required=True),
        Field("created_at", "ts", "time", required=True),
        Field("model_name", "model", required=True),
        Field("model_version", "version", required=True),
        Field("metric_name", "name", required=True),
        Field("value", "value", "number", required=True),
        Field("kind", "metric_kind", default="realized"),
        Field("stage", "stage"),
        Field("window_start", "window_start", "time"),
        Field("window_end", "window_end", "time"),
        Field("dataset_version", "dataset_version"),
        Field("labels", "labels", "json"),
    ),
)

TABLES: dict[str, TableSpec] = {
    spec.kind: spec for spec in (PREDICTIONS, API_REQUESTS, SYSTEM_METRICS, PERFORMANCE_METRICS)
}
