"""Records as the journal carries them, and the checks they pass on the way in.

A record is a plain dict of column values plus ``k`` (its kind) and ``ts`` (creation time
in microseconds, also carried by its UUIDv7 ``id``). Absent optional fields are omitted.

As a line (journal, stream entry), a record is its fields as compact JSON, then, when it
has inputs, a 0x1E byte and the inputs' JSON, then a newline. Compact JSON never holds a
raw control byte, so both separators are unambiguous. Once encoded, and when read back,
a record's ``inputs`` are that JSON as ``bytes``: the writer stores it as it is, without
parsing the features into Python objects and serialising them again. ``bytes`` is never
a logged value (``log()`` refuses it), so it can only mean encoded inputs; and unlike a
``str`` subclass it is not tracked by the garbage collector, so a batch of thousands of
records adds nothing for it to traverse.
"""

from __future__ import annotations

import math
from typing import Any, Final

import orjson

from predledger.errors import InvalidRecordError

INPUTS_SEPARATOR: Final = b"\x1e"
_JSON_OPTIONS: Final = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def encode_line(record: dict[str, Any]) -> bytes:
    """One record as a line; its ``inputs`` are left in the record as their JSON ``bytes``.

    Raises:
        TypeError: a value cannot be encoded as JSON.
    """
    inputs = record.pop("inputs", None)
    if inputs is None:
        return orjson.dumps(record, option=_JSON_OPTIONS | orjson.OPT_APPEND_NEWLINE)
    try:
        raw = inputs if type(inputs) is bytes else orjson.dumps(inputs, option=_JSON_OPTIONS)
        fields = orjson.dumps(record, option=_JSON_OPTIONS)
    except TypeError:
        record["inputs"] = inputs
        raise
    record["inputs"] = raw
    return b"".join((fields, INPUTS_SEPARATOR, raw, b"\n"))


def decode_lines(data: bytes) -> tuple[list[dict[str, Any]], int]:
    """Decode newline-separated records, counting lines that are not valid records."""
    lines = data.split(b"\n")  # not data.strip() first: that would copy the whole chunk
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        return [], 0
    if not _is_utf8(data):
        return _decode_line_by_line(lines)
    fields: list[bytes] = []
    inputs: list[bytes | None] = []
    for line in lines:
        head, separator, raw = line.partition(INPUTS_SEPARATOR)
        fields.append(head)
        inputs.append(raw if separator else None)
    try:  # one parse of the whole chunk as a JSON array: the common case, and much faster
        parsed = orjson.loads(b"[" + b",".join(fields) + b"]")
    except orjson.JSONDecodeError:
        return _decode_line_by_line(lines)
    if len(parsed) != len(lines) or b"" in inputs:
        return _decode_line_by_line(lines)
    for record, encoded in zip(parsed, inputs, strict=True):  # checks and fills in one pass
        if type(record) is not dict or "id" not in record or "k" not in record:
            return _decode_line_by_line(lines)
        if encoded is not None:
            record["inputs"] = encoded
    return parsed, 0


def _is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8 (checked once per chunk, not per line)."""
    if data.isascii():
        return True
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


def _decode_line_by_line(lines: list[bytes]) -> tuple[list[dict[str, Any]], int]:
    records: list[dict[str, Any]] = []
    corrupt = 0
    for line in lines:
        if not line:
            continue
        head, separator, raw = line.partition(INPUTS_SEPARATOR)
        try:
            record = orjson.loads(head)
        except orjson.JSONDecodeError:
            corrupt += 1
            continue
        is_record = type(record) is dict and "id" in record and "k" in record
        if not is_record or (separator and not raw) or not _is_utf8(raw):
            corrupt += 1
            continue
        if separator:
            record["inputs"] = raw
        records.append(record)
    return records, corrupt


def plain_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record with its inputs parsed again: for people reading it (``rejected.jsonl``)."""
    inputs = record.get("inputs")
    if type(inputs) is not bytes:
        return record
    return {**record, "inputs": orjson.loads(inputs)}


def parsed_inputs(record: dict[str, Any]) -> Any:
    """A record's inputs as Python values (parsed when they are encoded JSON ``bytes``)."""
    inputs = record.get("inputs")
    return orjson.loads(inputs) if type(inputs) is bytes else inputs


KIND_PREDICTION: Final = "p"
KIND_REQUEST: Final = "r"
KIND_SYSTEM_METRIC: Final = "s"
KIND_PERFORMANCE_METRIC: Final = "m"

PREDICTION_TYPES: Final = frozenset({"features", "text", "series", "upload", "batch"})
STATUSES: Final = frozenset({"success", "error"})
METRIC_KINDS: Final = frozenset({"system", "performance"})
STAGES: Final = frozenset({"training", "staging", "production", "archived"})

# Longest text accepted per field (the column width); longer free text is cut, not refused.
MAX_LENGTHS: Final = {
    "model": 200,
    "version": 100,
    "request_id": 200,
    "batch_id": 200,
    "session_id": 200,
    "dataset_id": 200,
    "label": 200,
    "client_ip": 64,
    "endpoint": 300,
    "method": 10,
    "name": 200,
    "stage": 20,
    "dataset_version": 100,
}
TRUNCATED_LENGTHS: Final = {"user_agent": 500, "error_message": 10_000, "error": 10_000}

PREDICTION_FIELDS: Final = frozenset(
    {
        "model", "version", "inputs", "label", "probability", "probabilities", "value",
        "interval_low", "interval_high", "confidence_level", "latency_ms", "request_id",
        "batch_id", "session_id", "dataset_id", "status", "error_message", "cache_hit",
        "prediction_type", "feature_names", "client_ip", "user_agent", "input_hash",
    }
)  # fmt: skip


def require_text(field: str, value: object) -> str:
    """Check a required short text field and return it."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRecordError(field, f"must be a non-empty string, got {value!r}")
    if len(value) > MAX_LENGTHS[field]:
        raise InvalidRecordError(field, f"is longer than {MAX_LENGTHS[field]} characters")
    return value


def optional_text(field: str, value: object) -> str | None:
    """Check an optional short text field (numbers are accepted and turned into text)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidRecordError(field, f"must be a string, got {type(value).__name__}")
    text = str(value)
    limit = MAX_LENGTHS.get(field)
    if limit is not None and len(text) > limit:
        raise InvalidRecordError(field, f"is longer than {limit} characters")
    return text


def free_text(field: str, value: object) -> str | None:
    """Check a free-text field, cutting it to its column width."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    return value[: TRUNCATED_LENGTHS[field]]


def finite_number(field: str, value: object) -> float | None:
    """Check an optional number: a real int or float that is neither NaN nor infinite."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(value)  # type: ignore[arg-type]  # numpy scalars, Decimal
        except (TypeError, ValueError):
            raise InvalidRecordError(field, f"must be a number, got {value!r}") from None
    number = float(value)
    if not math.isfinite(number):
        raise InvalidRecordError(field, f"must be a finite number, got {number!r}")
    return number


def probability_value(field: str, value: object) -> float | None:
    """Check an optional probability: a finite number between 0 and 1."""
    number = finite_number(field, value)
    if number is not None and not 0.0 <= number <= 1.0:
        raise InvalidRecordError(field, f"must be between 0 and 1, got {number!r}")
    return number


def probabilities_value(value: object) -> dict[str, float] | list[float] | None:
    """Check per-class probabilities: a mapping of class to probability, or a list."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): _probability_item(v) for k, v in value.items()}
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        items: Any = value.tolist() if hasattr(value, "tolist") else value
        return [_probability_item(v) for v in items]
    raise InvalidRecordError(
        "probabilities", f"must be a mapping of class to probability or a list, got {value!r}"
    )


def _probability_item(value: object) -> float:
    number = probability_value("probabilities", value)
    if number is None:
        raise InvalidRecordError("probabilities", "holds a missing value")
    return number


def prediction_type_of(inputs: object, given: object) -> str:
    """The prediction type given, or the one the inputs imply."""
    if given is not None:
        if given not in PREDICTION_TYPES:
            allowed = ", ".join(sorted(PREDICTION_TYPES))
            raise InvalidRecordError("prediction_type", f"must be one of {allowed}, got {given!r}")
        return str(given)
    if isinstance(inputs, str):
        return "text"
    if isinstance(inputs, list | tuple):
        return "series"
    return "features"


def status_value(status: object) -> str:
    """Check a prediction status."""
    if status not in STATUSES:
        raise InvalidRecordError("status", f"must be 'success' or 'error', got {status!r}")
    return str(status)


def check_inputs(inputs: object) -> None:
    """Check that inputs are a mapping of features, a text or a series (or absent)."""
    if inputs is None or isinstance(inputs, dict | str | list | tuple):
        return
    if hasattr(inputs, "tolist"):
        return
    raise InvalidRecordError(
        "inputs",
        f"must be a mapping of feature to value, a text or a list, got {type(inputs).__name__}",
    )


def check_unknown_fields(fields: dict[str, Any], allowed: frozenset[str]) -> None:
    """Refuse a record that names a field predledger does not know."""
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise InvalidRecordError(
            unknown[0], f"is not a known field (known: {', '.join(sorted(allowed))})"
        )
