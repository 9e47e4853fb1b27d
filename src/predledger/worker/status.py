"""``stream_status``: how far behind the workers are, for ``/metrics`` and the CLI."""

from __future__ import annotations

import time
from typing import Any

import redis

from predledger.ingest.stream_redis import (
    DEFAULT_GROUP,
    DEFAULT_STREAM,
    connect,
    describe_redis_url,
    resolve_redis_url,
    unavailable,
)
from predledger.worker.maintenance import parse_id


def stream_status(
    redis_url: str | None = None, stream: str = DEFAULT_STREAM, group: str = DEFAULT_GROUP
) -> dict[str, Any]:
    """The stream's length and, for the workers' group, its lag and pending counts.

    Returns:
        ``redis`` and ``stream`` (names), ``length`` (entries held), ``group``,
        ``consumers`` (workers known to the group), ``pending`` (entries read but not yet
        acknowledged), ``lag`` (entries not yet read; ``None`` when Redis cannot tell),
        ``backlog`` (pending + lag, or the length), ``oldest_pending_seconds`` and
        ``group_exists``. Each entry holds up to 100 records.

    Raises:
        StreamUnavailableError: Redis cannot be reached.
    """
    url = resolve_redis_url(redis_url)
    client = connect(url)
    try:
        length = int(client.xlen(stream))
        info = _group_info(client, stream, group) if length or client.exists(stream) else None
        pending = client.xpending(stream, group) if info is not None else None
    except redis.RedisError as exc:
        raise unavailable(url, exc) from exc
    finally:
        client.close()
    lag = None if info is None or info.get("lag") is None else int(info["lag"])
    pending_count = int(pending["pending"]) if pending else 0
    oldest = None
    if pending and pending["pending"] and pending["min"] is not None:
        oldest = max(0.0, time.time() - parse_id(pending["min"])[0] / 1000)
    return {
        "redis": describe_redis_url(url),
        "stream": stream,
        "group": group,
        "group_exists": info is not None,
        "length": length,
        "consumers": int(info["consumers"]) if info else 0,
        "pending": pending_count,
        "lag": lag,
        "backlog": pending_count + lag if lag is not None else length,
        "oldest_pending_seconds": oldest,
    }


def _group_info(client: redis.Redis, stream: str, group: str) -> dict[str, Any] | None:
    for info in client.xinfo_groups(stream):
        name = info["name"]
        if (name.decode() if isinstance(name, bytes) else name) == group:
            return info
    return None
