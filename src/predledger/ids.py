"""Time-ordered identifiers (UUID version 7, RFC 9562).

The id carries its own creation time, so a record replayed from the journal after a
crash maps to the same ``(id, created_at)`` pair and lands in the same time partition.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RAND_MASK = (1 << 62) - 1


def new_id() -> tuple[str, int]:
    """Return a new UUIDv7 string and its timestamp in microseconds since the epoch.

    The 12 ``rand_a`` bits hold the sub-millisecond fraction (RFC 9562 method 3), so ids
    made in one process sort in creation order to about a quarter of a microsecond.
    """
    ns = time.time_ns()
    ms, rest = divmod(ns, 1_000_000)
    sub = (rest * 4096) // 1_000_000
    value = (ms << 80) | (0x7 << 76) | (sub << 64) | (0b10 << 62)
    value |= random.getrandbits(62) & _RAND_MASK
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}", _micros(ms, sub)


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
