"""Cache keys: the model, its version and a canonical hash of the inputs.

The inputs are written as JSON with sorted keys (nested objects too) and hashed with
SHA-256, so ``{"a": 1, "b": 2}`` and ``{"b": 2, "a": 1}`` share an entry. Numbers keep the
type they were given: ``1`` and ``1.0`` are different inputs. The version is part of the
key, so a newly promoted version never reads its predecessor's answers.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final
from urllib.parse import quote

import orjson

from predledger.errors import InvalidRecordError

DEFAULT_NAMESPACE: Final = "predledger:cache"
_OPTIONS: Final = orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def input_hash(inputs: Any) -> str:
    """The SHA-256 (hex) of the inputs' canonical JSON.

    Raises:
        InvalidRecordError: the inputs cannot be written as JSON.
    """
    try:
        canonical = orjson.dumps(inputs, option=_OPTIONS)
    except TypeError as exc:
        raise InvalidRecordError("inputs", f"cannot be hashed as JSON: {exc}") from None
    return hashlib.sha256(canonical).hexdigest()


def cache_key(model: str, version: str, digest: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    """The Redis key of one entry: ``<namespace>:<model>:<version>:<input hash>``.

    Model and version are percent-encoded, so a ``:`` in a name cannot make two entries
    collide, and ``SCAN <namespace>:<model>:*`` finds a model's entries.
    """
    return f"{namespace}:{quote(model, safe='')}:{quote(str(version), safe='')}:{digest}"


def encode_value(value: Any) -> bytes:
    """A computed answer as stored (JSON).

    Raises:
        InvalidRecordError: the answer cannot be written as JSON.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)
    except TypeError as exc:
        raise InvalidRecordError(
            "value", f"cannot be cached as JSON: {exc} (pass encode= and decode=)"
        ) from None


def decode_value(data: bytes | str) -> Any:
    """A stored answer, as JSON decodes it."""
    return orjson.loads(data)
