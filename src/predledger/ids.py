"""Time-ordered identifiers (UUID version 7, RFC 9562).

The id carries its own creation time, so a record replayed from the journal after a
crash maps to the same ``(id, created_at)`` pair and lands in the same time partition.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_VARIANT = 0b10 << 62
_LOW_48 = (1 << 48) - 1


def new_id() -> tuple[str, int]:
    """Return a new UUIDv7 string and its timestamp in microseconds since the epoch.

    The 12 ``rand_a`` bits hold the sub-millisecond fraction (RFC 9562 method 3), so ids
    made in one process sort in creation order to about a quarter of a microsecond.
    """
    ms, rest = divmod(time.time_ns(), 1_000_000)
    sub = (rest * 4096) // 1_000_000
    tail = random.getrandbits(62) | _VARIANT
    return (
        f"{_ms_prefix(ms)}{sub:03x}-{tail >> 48:04x}-{tail & _LOW_48:012x}",
        _micros(ms, sub),
    )


@lru_cache(maxsize=64)
def _ms_prefix(ms: int) -> str:
    """The id's first 15 characters, which only the millisecond decides: time and version."""
    h = f"{ms:012x}"
    return f"{h[:8]}-{h[8:]}-7"


def _micros(ms: int, sub: int) -> int:
    return ms * 1000 + (sub * 1000) // 4096


def id_timestamp_micros(record_id: str) -> int:
    """Return the creation time, in microseconds since the epoch, carried by a UUIDv7."""
    h = record_id.replace("-", "")
    value = int(h[:16], 16)
    return _micros(value >> 16, value & 0xFFF)


def micros_to_datetime(micros: int) -> datetime:
    """Convert microseconds since the epoch to an aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=micros)


def id_created_at(record_id: str) -> datetime:
    """Return the creation time carried by a UUIDv7 as an aware UTC datetime."""
    return micros_to_datetime(id_timestamp_micros(record_id))
