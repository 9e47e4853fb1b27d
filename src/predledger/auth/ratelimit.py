"""A token bucket per API key (or person), in memory, per process.

Each key's bucket holds up to ``capacity`` tokens and refills at ``rate`` tokens a second;
a request takes one. With ``--workers N`` each worker keeps its own buckets, so a key may
reach N times the rate in all: set the rate per worker.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


class RateLimiter:
    """Token buckets by key; the least recently seen are forgotten past ``max_keys``.

    Args:
        rate: tokens added per second.
        capacity: tokens a full bucket holds (the burst).
        max_keys: buckets kept at most (a forgotten bucket starts full again).
    """

    def __init__(self, rate: float, capacity: float, *, max_keys: int = 10_000) -> None:
        self.rate = rate
        self.capacity = capacity
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """Take a token for ``key``: 0.0 when granted, else the seconds until one is due."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.capacity, moment))
            tokens = min(self.capacity, tokens + (moment - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens, moment)
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait
