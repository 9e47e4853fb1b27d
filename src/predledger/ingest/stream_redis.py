"""The stream's Redis side, shared by producers and workers: keys, settings, client, errors.

Keys (``<stream>`` is ``predledger:records`` unless configured):

- ``<stream>``: entries of up to ``ENTRY_RECORDS`` records. Field ``r`` holds journal
  lines (one encoded record each); ``p``, ``b`` and ``i`` name the producer, its batch
  and the entry's index within the batch.
- ``<stream>:done:<producer>``: workers push ``"<batch>:<index>"`` here in the same
  ``MULTI`` as the ``XACK``, after their commit; the producer pops it to learn that its
  batch is stored. It expires after ``DONE_TTL_S`` when the producer is gone.
- ``<stream>:epoch``: a token created once per Redis data set. When it changes, Redis
  lost its data, and producers check at once which of their entries survived.

Why several records per entry: one ``XADD`` per record costs the producer's writer
thread (which shares the GIL with the request threads) a command to build and a reply to
parse per record, and the worker the same again to read and acknowledge it. Entries of
up to 100 records (256 KiB) make those costs a hundred times rarer, while an entry stays
small enough that redelivering one after a crash is cheap.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy.engine import make_url

from predledger.config import resolve_journal_dir
from predledger.errors import ConfigurationError, StoreUnavailableError
from predledger.ingest.records import encode_line

DEFAULT_STREAM = "predledger:records"
DEFAULT_GROUP = "predledger-writers"
DEFAULT_MAX_BACKLOG = 2000
ENTRY_RECORDS = 100
ENTRY_BYTES = 256 << 10
DONE_TTL_S = 3600
F_PAYLOAD, F_PRODUCER, F_BATCH, F_INDEX = b"r", b"p", b"b", b"i"
_CONNECT_TIMEOUT_S = 3.0
_SOCKET_TIMEOUT_S = 10.0

Records = list[dict[str, Any]]


class StreamUnavailableError(StoreUnavailableError):
    """Redis cannot be reached or refused a command."""


class StreamBacklogError(StoreUnavailableError):
    """Workers are not keeping up (or none runs): records wait in the producer's journal."""


def done_key(stream: str, producer: str) -> str:
    """The list workers push a producer's committed entries onto."""
    return f"{stream}:done:{producer}"


def epoch_key(stream: str) -> str:
    """The key whose token changes when Redis loses its data."""
    return f"{stream}:epoch"


def resolve_transport(transport: str | None) -> Literal["direct", "redis"]:
    """Return the ledger's transport: ``transport`` or ``PREDLEDGER_TRANSPORT`` or direct.

    Raises:
        ConfigurationError: it is neither ``"direct"`` nor ``"redis"``.
    """
    value = transport if transport is not None else os.environ.get("PREDLEDGER_TRANSPORT")
    value = (value or "direct").strip()
    if value == "direct":
        return "direct"
    if value == "redis":
        return "redis"
    raise ConfigurationError(f"transport must be one of direct, redis; got {value!r}")


def resolve_redis_url(url: str | None) -> str:
    """Return the Redis URL to use: ``url`` or ``PREDLEDGER_REDIS_URL``.

    Raises:
        ConfigurationError: no URL was given, or it is not a ``redis://`` URL.
    """
    text = (url if url is not None else os.environ.get("PREDLEDGER_REDIS_URL", "")).strip()
    if not text:
        raise ConfigurationError(
            "the Redis transport needs a Redis URL: pass redis_url='redis://host:6379/0' "
            "(or --redis-url) or set PREDLEDGER_REDIS_URL"
        )
    if not text.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigurationError(
            f"Redis URL {describe_redis_url(text)!r} is not valid: use redis://host:6379/0"
        )
    return text


def describe_redis_url(url: str) -> str:
    """The URL with its password hidden, for messages."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"


def connect(url: str, *, socket_timeout: float = _SOCKET_TIMEOUT_S) -> redis.Redis:
    """A client that fails fast: one reconnect attempt, then the caller's retry policy."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=_CONNECT_TIMEOUT_S,
        socket_timeout=socket_timeout,
        retry=Retry(NoBackoff(), 1),
        client_name="predledger",
    )


def unavailable(url: str, exc: BaseException) -> StreamUnavailableError:
    """One line saying Redis failed, and what to check."""
    text = str(exc).strip().splitlines()
    detail = text[0] if text else type(exc).__name__
    return StreamUnavailableError(
        f"cannot use Redis at {describe_redis_url(url)}: {detail} "
        "(check that Redis is running and the Redis URL is right)"
    )


def stream_journal_dir(
    journal_dir: str | os.PathLike[str] | None, redis_url: str, stream: str
) -> Path:
    """The journal folder of producers that write to ``stream`` on ``redis_url``.

    A sub-folder per Redis URL and stream beside the per-database ones, so a ledger
    replays only journals that were meant for the same stream.
    """
    root = resolve_journal_dir(journal_dir, make_url("sqlite://")).parent
    digest = hashlib.sha256(f"{describe_redis_url(redis_url)}|{stream}".encode()).hexdigest()
    return root / f"stream-{digest[:12]}"


def pack_entries(records: Records) -> Iterator[bytes]:
    """Journal lines of ``records``, grouped into stream entry payloads."""
    lines: list[bytes] = []
    size = 0
    for record in records:
        line = encode_line(record)
        if lines and (len(lines) >= ENTRY_RECORDS or size + len(line) > ENTRY_BYTES):
            yield b"".join(lines)
            lines, size = [], 0
        lines.append(line)
        size += len(line)
    if lines:
        yield b"".join(lines)


def stream_backlog(client: redis.Redis, stream: str) -> int:
    """Entries the slowest consumer group has not acknowledged (the length without one)."""
    try:
        groups = client.xinfo_groups(stream)
    except redis.ResponseError:  # no such stream yet
        return 0
    backlog = [
        int(group["pending"]) + int(group["lag"])
        for group in groups
        if group.get("lag") is not None
    ]
    if groups and len(backlog) == len(groups):
        return max(backlog)
    return int(client.xlen(stream))
