"""Keeping the stream bounded and its consumer group tidy, without losing an entry.

Trimming rule: an entry may go once every consumer group has delivered *and*
acknowledged it. For each group that is everything below both its oldest pending
entry and the entry after its last delivered one; the stream is trimmed (``XTRIM
MINID``) below the lowest such bound. Entries appended or read meanwhile only raise the
bounds, so a trim computed a moment ago is still safe.
"""

from __future__ import annotations

import redis

IDLE_CONSUMER_MS = 3_600_000


def ensure_group(client: redis.Redis, stream: str, group: str) -> None:
    """Create the consumer group (and the stream) if missing, reading from the start.

    Starting at ``0`` rather than ``$`` means entries appended before any worker ran, or
    after Redis came back empty, are all delivered.
    """
    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def parse_id(stream_id: bytes | str) -> tuple[int, int]:
    """A stream id ``b"<ms>-<seq>"`` as a pair of integers."""
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def trim_bound(client: redis.Redis, stream: str) -> tuple[int, int] | None:
    """The lowest id some consumer group still needs, or ``None`` to keep everything."""
    try:
        groups = client.xinfo_groups(stream)
    except redis.ResponseError:  # the stream does not exist
        return None
    if not groups:
        return None  # nobody consumes yet: every entry is still needed
    bounds = []
    for group in groups:
        ms, seq = parse_id(group["last-delivered-id"])
        bound = (ms, seq + 1)
        summary = client.xpending(stream, group["name"])
        if summary["pending"] and summary["min"] is not None:
            bound = min(bound, parse_id(summary["min"]))
        bounds.append(bound)
    return min(bounds)


def trim_acknowledged(client: redis.Redis, stream: str) -> int:
    """Remove the entries every consumer group has acknowledged; return how many."""
    bound = trim_bound(client, stream)
    if bound is None or bound <= (0, 1):
        return 0
    return int(client.xtrim(stream, minid=f"{bound[0]}-{bound[1]}", approximate=False))


def prune_consumers(client: redis.Redis, stream: str, group: str, idle_ms: int) -> int:
    """Forget consumers (dead workers) that hold nothing and were idle for ``idle_ms``.

    A consumer with pending entries is kept whatever its age: deleting it would drop its
    entries from the pending list. Those are claimed by live workers instead.
    """
    removed = 0
    for consumer in client.xinfo_consumers(stream, group):
        idle = int(consumer.get("inactive", consumer.get("idle", 0)) or 0)
        if int(consumer["pending"]) == 0 and idle >= idle_ms:
            client.xgroup_delconsumer(stream, group, consumer["name"])
            removed += 1
    return removed
