"""Redis Stream transport: replicas hand their records to ``predledger worker`` processes.

With ``Ledger(..., transport="redis")`` the writer thread does not write the database. It
appends each batch to a Redis Stream, waits until workers (one consumer group) have
committed it, and only then releases the journal. A record therefore stays in its
producer's journal until it is in the database, whatever happens to Redis meanwhile:

- Redis unreachable: the writer retries with back-off; ``log()`` keeps journaling.
- Redis restarted empty (no persistence, a failover, a lost second of AOF): the producer
  finds its unconfirmed entries gone from the stream and appends them again.
- A worker dies mid-batch: its entries stay pending until another worker claims them
  (``XAUTOCLAIM``); rows already committed take the bulk writer's dedupe path.
- A producer dies: the next ledger on its journal folder replays the journal through
  the stream, and the workers' dedupe path drops what was already stored.

The keys, the entry layout and the Redis client are in ``predledger.ingest.stream_redis``.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import redis

from predledger.errors import ConfigurationError
from predledger.ingest.stream_redis import (
    DEFAULT_MAX_BACKLOG,
    DEFAULT_STREAM,
    F_BATCH,
    F_INDEX,
    F_PAYLOAD,
    F_PRODUCER,
    Records,
    StreamBacklogError,
    connect,
    describe_redis_url,
    done_key,
    epoch_key,
    pack_entries,
    resolve_redis_url,
    stream_backlog,
    unavailable,
)

_POP_BLOCK_S = 0.05
_EPOCH_CHECK_S = 0.25


@dataclass
class _Entry:
    index: int
    payload: bytes
    stream_id: bytes | None = None


@dataclass
class _Flight:
    """The batch this producer has appended and waits to see committed."""

    key: tuple[int, str, str]
    seq: int
    entries: list[_Entry]
    done: set[int] = field(default_factory=set)
    epoch: bytes | None = None
    checked_at: float = 0.0

    def unconfirmed(self) -> list[_Entry]:
        return [entry for entry in self.entries if entry.index not in self.done]


class StreamSink:
    """Appends batches to the stream and returns once workers have committed them.

    It has the bulk writer's interface (``write``, ``discard_connection``, ``close``), so
    the ledger's writer thread keeps its retries, back-off and orphan replay, and a batch
    leaves the journal only when ``write`` has returned: when it is in the database.

    Args:
        redis_url: the Redis server; default ``PREDLEDGER_REDIS_URL``.
        stream: the stream's key.
        max_backlog: entries the workers have not acknowledged, past which producers wait
            (their records stay in the journal) before appending more.
        wait_timeout: seconds without any progress of the workers after which ``write``
            reports the wait as an error (the writer's retry resumes the wait).
        verify_interval: seconds between checks that the awaited entries still exist
            (besides the checks after a reconnect and when Redis lost its data set).
    """

    def __init__(
        self,
        redis_url: str | None,
        *,
        stream: str = DEFAULT_STREAM,
        max_backlog: int = DEFAULT_MAX_BACKLOG,
        wait_timeout: float = 5.0,
        verify_interval: float = 30.0,
    ) -> None:
        if max_backlog < 1:
            raise ConfigurationError(f"stream_max_backlog must be at least 1, got {max_backlog}")
        if not stream:
            raise ConfigurationError("stream must name a Redis key, e.g. 'predledger:records'")
        self.redis_url = resolve_redis_url(redis_url)
        self.stream = stream
        self.max_backlog = max_backlog
        self.wait_timeout = wait_timeout
        self.verify_interval = verify_interval
        self.producer = uuid.uuid4().hex[:16]
        # The ledger points this at its writer's give-up event: stop waiting when closing.
        self.cancel = threading.Event()
        self.resent = 0
        self._done_key = done_key(stream, self.producer)
        self._epoch_key = epoch_key(stream)
        self._client: redis.Redis | None = None
        self._flight: _Flight | None = None
        self._seq = 0
        self._must_verify = False
        self._stalled = False

    def describe(self) -> str:
        """The stream and server, for messages."""
        return f"Redis stream {self.stream} at {describe_redis_url(self.redis_url)}"

    def prepare(self) -> None:
        """Check that Redis answers (the writer calls this before writing, after errors)."""
        try:
            self._connect().ping()
        except redis.RedisError as exc:
            raise unavailable(self.redis_url, exc) from exc

    def write(self, records: Records, *, dedupe: bool = False) -> int:
        """Append a batch, wait until workers committed it, and return its size.

        A retry of the batch the previous call left waiting (the same records) resumes
        the wait instead of appending the batch again.

        Args:
            records: the batch, as the journal holds it.
            dedupe: ignored: workers always let ids already stored take the dedupe path.

        Raises:
            StreamUnavailableError: Redis failed; the writer retries.
            StreamBacklogError: no room in the stream, or no commit, within ``wait_timeout``.
        """
        del dedupe
        if not records:
            return 0
        key = (len(records), str(records[0]["id"]), str(records[-1]["id"]))
        try:
            client = self._connect()
            flight = self._flight
            if flight is None or flight.key != key:
                self._wait_for_room(client)
                flight = self._flight = self._new_flight(key, records)
                self._append(client, flight, flight.entries)
            self._wait_for_commit(client, flight)
        except redis.RedisError as exc:
            raise unavailable(self.redis_url, exc) from exc
        self._flight = None
        return len(records)

    def discard_connection(self) -> None:
        """Drop the connection after an error; the next write checks what Redis kept.

        After a stalled wait (no Redis error) the connection and the awaited batch stay.
        """
        if self._stalled:
            self._stalled = False
            return
        client, self._client = self._client, None
        self._must_verify = True
        if client is not None:
            client.close()

    def close(self) -> None:
        """Close the connection (the done list expires on its own)."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _connect(self) -> redis.Redis:
        if self._client is None:
            self._client = connect(self.redis_url)
        return self._client

    def _new_flight(self, key: tuple[int, str, str], records: Records) -> _Flight:
        self._seq += 1
        entries = [_Entry(index, payload) for index, payload in enumerate(pack_entries(records))]
        return _Flight(key=key, seq=self._seq, entries=entries)

    def _append(self, client: redis.Redis, flight: _Flight, entries: list[_Entry]) -> None:
        # One MULTI: a worker blocked on the stream wakes to the whole batch, not its first
        # entry, and the epoch read belongs to the same data set as the entries.
        with client.pipeline(transaction=True) as pipe:
            pipe.set(self._epoch_key, uuid.uuid4().hex, nx=True)
            pipe.get(self._epoch_key)
            for entry in entries:
                pipe.xadd(self.stream, {
                    F_PAYLOAD: entry.payload, F_PRODUCER: self.producer,
                    F_BATCH: flight.seq, F_INDEX: entry.index,
                })  # fmt: skip
            replies = pipe.execute()
        flight.epoch = replies[1]
        for entry, stream_id in zip(entries, replies[2:], strict=True):
            entry.stream_id = stream_id
        flight.checked_at = time.monotonic()

    def _wait_for_room(self, client: redis.Redis) -> None:
        deadline, seen = 0.0, -1
        while (backlog := stream_backlog(client, self.stream)) >= self.max_backlog:
            if backlog != seen:  # the workers are moving: a wait, not yet a problem
                deadline, seen = time.monotonic() + self.wait_timeout, backlog
            if self.cancel.wait(0.05) or time.monotonic() > deadline:
                self._stalled = True
                raise StreamBacklogError(
                    f"the stream {self.stream} holds {backlog} entries the workers have not "
                    f"written (the cap is {self.max_backlog}): records wait in the journal; "
                    "start more `predledger worker` processes or raise stream_max_backlog"
                )

    def _wait_for_commit(self, client: redis.Redis, flight: _Flight) -> None:
        deadline = next_check = 0.0
        progress: object = None
        while True:
            self._collect_done(client, flight)
            if len(flight.done) == len(flight.entries):
                return
            now = time.monotonic()
            if now >= next_check:
                next_check = now + _EPOCH_CHECK_S
                epoch, mark = self._probe(client)
                if mark != progress:  # workers read or acknowledge: keep waiting
                    progress, deadline = mark, now + self.wait_timeout
                if (
                    self._must_verify
                    or now - flight.checked_at >= self.verify_interval
                    or epoch != flight.epoch
                ):
                    self._verify(client, flight)
            if self.cancel.is_set() or now > deadline:
                self._stalled = True
                raise StreamBacklogError(
                    f"no worker made progress on the stream {self.stream} for "
                    f"{self.wait_timeout:g} s: records wait in the journal; check that "
                    "`predledger worker` processes run against this Redis and database"
                )

    def _probe(self, client: redis.Redis) -> tuple[Any, object]:
        """The epoch token, and a mark of the workers' progress that changes as they work."""
        with client.pipeline(transaction=False) as pipe:
            pipe.get(self._epoch_key)
            pipe.xinfo_groups(self.stream)
            epoch, groups = pipe.execute(raise_on_error=False)
        if isinstance(epoch, Exception):
            raise epoch
        if isinstance(groups, Exception):  # no stream (yet, or Redis lost it)
            return epoch, None
        return epoch, tuple(
            (g["name"], g.get("entries-read"), g["last-delivered-id"], g["pending"]) for g in groups
        )

    def _collect_done(self, client: redis.Redis, flight: _Flight) -> None:
        popped = client.blpop([self._done_key], timeout=_POP_BLOCK_S)
        if not popped:
            return
        items = [popped[1]]
        rest = client.lpop(self._done_key, 1000)
        if isinstance(rest, list):
            items.extend(rest)
        _absorb(flight, items)

    def _verify(self, client: redis.Redis, flight: _Flight) -> None:
        """Append again the awaited entries Redis no longer holds (a restart, a failover)."""
        waiting = flight.unconfirmed()
        sent = [entry for entry in waiting if entry.stream_id is not None]
        with client.pipeline(transaction=True) as pipe:
            pipe.lrange(self._done_key, 0, -1)
            pipe.delete(self._done_key)
            pipe.get(self._epoch_key)
            for entry in sent:
                assert entry.stream_id is not None
                pipe.xrange(self.stream, entry.stream_id, entry.stream_id, count=1)
            replies = pipe.execute()
        _absorb(flight, replies[0])
        present = {
            entry.index
            for entry, found in zip(sent, replies[3:], strict=True)
            if self._is_ours(found, flight)
        }
        lost = [e for e in waiting if e.index not in flight.done and e.index not in present]
        flight.epoch = replies[2]
        flight.checked_at = time.monotonic()
        self._must_verify = False
        if lost:
            self.resent += len(lost)
            self._append(client, flight, lost)

    def _is_ours(self, found: list[tuple[bytes, dict[bytes, bytes]]], flight: _Flight) -> bool:
        if not found:
            return False
        fields = found[0][1]
        return fields.get(F_PRODUCER) == self.producer.encode() and fields.get(F_BATCH) == (
            str(flight.seq).encode()
        )


def _absorb(flight: _Flight, items: list[Any]) -> None:
    """Mark the flight's entries that workers reported committed (``b"<batch>:<index>"``)."""
    prefix = f"{flight.seq}:".encode()
    for item in items:
        if isinstance(item, bytes) and item.startswith(prefix):
            flight.done.add(int(item[len(prefix) :]))
