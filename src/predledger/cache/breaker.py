"""A circuit breaker: after a failure, stop calling a server for a while, then try again.

Closed (calls go through) → a failure opens it → after ``retry_after`` seconds one call is
let through (half-open): success closes it, failure opens it for another ``retry_after``.
While open, callers skip the server at once instead of waiting for a timeout each.
"""

from __future__ import annotations

import threading
import time


class CircuitBreaker:
    """Whether to call a server now.

    Args:
        retry_after: seconds to stay open before a trial call.
    """

    def __init__(self, retry_after: float = 3.0) -> None:
        self.retry_after = retry_after
        self.opened_at: float | None = None
        self.failures = 0
        self.last_error: str | None = None
        self._trial_running = False
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        """Whether calls are being skipped (the server failed and no trial succeeded yet)."""
        return self.opened_at is not None

    def allow(self) -> bool:
        """Whether to make a call now (while open: one trial call every ``retry_after``)."""
        if self.opened_at is None:
            return True
        with self._lock:
            if self.opened_at is None:
                return True
            if self._trial_running or time.monotonic() - self.opened_at < self.retry_after:
                return False
            self._trial_running = True
            return True

    def succeeded(self) -> None:
        """A call worked: close the circuit."""
        if self.opened_at is None and not self._trial_running:
            return
        with self._lock:
            self.opened_at = None
            self._trial_running = False

    def failed(self, error: BaseException) -> None:
        """A call failed: open the circuit (again) for ``retry_after`` seconds."""
        with self._lock:
            self.failures += 1
            self.last_error = f"{type(error).__name__}: {error}"
            self.opened_at = time.monotonic()
            self._trial_running = False
