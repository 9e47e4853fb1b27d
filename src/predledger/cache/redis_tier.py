"""The Redis tier: shared by every process and replica, entries expire by themselves.

Redis is a convenience here, never a dependency: calls have short socket timeouts, any
failure opens a circuit breaker (calls are skipped at once, the caller computes), and a
trial call every few seconds closes it again once Redis answers.
"""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from predledger.cache.breaker import CircuitBreaker

DEFAULT_SOCKET_TIMEOUT_S = 0.1
DEFAULT_RETRY_AFTER_S = 3.0


class RedisTier:
    """Answers kept in Redis with a time to live.

    Args:
        url: the Redis server, e.g. ``redis://127.0.0.1:6379/0``.
        socket_timeout: seconds to wait for a connection or an answer.
        retry_after: seconds to skip Redis after a failure before trying it again.
    """

    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        socket_timeout: float = DEFAULT_SOCKET_TIMEOUT_S,
        retry_after: float = DEFAULT_RETRY_AFTER_S,
    ) -> None:
        self.url = url
        self.breaker = CircuitBreaker(retry_after)
        # One immediate retry on a broken connection: after a restart the pool's old
        # connections fail once each, and the retry reconnects.
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
            health_check_interval=0,
        )

    @property
    def available(self) -> bool:
        """Whether Redis answered the last call (the breaker is closed)."""
        return not self.breaker.is_open

    def get(self, key: str) -> bytes | None:
        """The entry; ``None`` when absent or when Redis cannot be asked."""
        if not self.breaker.allow():
            return None
        try:
            value = self.client.get(key)
        except (redis.RedisError, OSError) as exc:
            self.breaker.failed(exc)
            return None
        self.breaker.succeeded()
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl: float) -> None:
        """Keep an entry for ``ttl`` seconds (silently skipped while Redis is away)."""
        if not self.breaker.allow():
            return
        try:
            self.client.set(key, value, px=max(1, int(ttl * 1000)))
        except (redis.RedisError, OSError) as exc:
            self.breaker.failed(exc)
            return
        self.breaker.succeeded()

    def close(self) -> None:
        """Close the connections."""
        self.client.close()
