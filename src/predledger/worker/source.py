"""The worker's side of the stream: a ``Source`` the ledger's writer thread drains.

``take`` reads a batch of entries for this consumer (first re-claiming entries a dead
worker left pending for longer than ``claim_idle``), ``release`` acknowledges them once
the batch committed. Neither raises: a Redis failure is counted and the next call tries
again, while the entries stay pending in the group.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import redis

from predledger.ingest.records import decode_lines
from predledger.ingest.stats import Counters
from predledger.ingest.stream_redis import (
    DONE_TTL_S,
    ENTRY_RECORDS,
    F_BATCH,
    F_INDEX,
    F_PAYLOAD,
    F_PRODUCER,
    done_key,
    unavailable,
)
from predledger.worker.maintenance import (
    IDLE_CONSUMER_MS,
    ensure_group,
    prune_consumers,
    trim_acknowledged,
)

Entry = tuple[bytes, dict[bytes, bytes]]
TRIM_INTERVAL_S = 0.5
PRUNE_INTERVAL_S = 300.0


@dataclass
class Delivery:
    """The entries of one batch: acknowledged, and reported to producers, after commit."""

    ids: list[bytes] = field(default_factory=list)
    done: dict[str, list[bytes]] = field(default_factory=dict)


@dataclass
class StreamPosition:
    """Where a worker reads: the server, the stream, the group and its own name."""

    redis_url: str
    stream: str
    group: str
    consumer: str


class StreamSource:
    """Entries of the stream, for one consumer of the group.

    Args:
        client: a Redis client (its socket timeout above ``block_ms``).
        position: stream, group and consumer names.
        counters: the worker's counters (errors and corrupt lines are counted here).
        stop: once set, ``take`` returns nothing, so the writer thread finishes.
        block_ms: how long one read waits for new entries.
        claim_idle_ms: entries pending this long with another consumer are claimed.
    """

    def __init__(
        self,
        client: redis.Redis,
        position: StreamPosition,
        counters: Counters,
        stop: threading.Event,
        *,
        block_ms: int = 200,
        claim_idle_ms: int = 30_000,
    ) -> None:
        self.client = client
        self.position = position
        self.counters = counters
        self.stop = stop
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.claimed = 0
        self._unacked: deque[Delivery] = deque()
        self._failures = 0
        self._claim_at = 0.0
        self._trim_at = 0.0
        self._prune_at = time.monotonic() + PRUNE_INTERVAL_S

    # -- the Source protocol ----------------------------------------------------------

    def put(self, record: dict[str, Any], line: bytes, *, block: bool) -> None:
        raise NotImplementedError("a worker reads records from the stream; it accepts none")

    def take(self, max_records: int) -> tuple[list[dict[str, Any]], object]:
        if self.stop.is_set() or not self._acknowledge_waiting():
            return [], None
        self._maintain_if_due()
        try:
            entries = self._claim_if_due(max_records) or self._read(max_records)
        except redis.RedisError as exc:
            self._failed(exc)
            return [], None
        self._failures = 0
        return self._decode(entries)

    def release(self, token: object) -> None:
        if isinstance(token, Delivery):
            self._unacked.append(token)
            self._acknowledge_waiting()
        self._maintain_if_due()

    def needs_dedupe(self, token: object) -> bool:
        # A redelivered entry may have been committed by a worker that died before it
        # acknowledged; a plain insert that meets its ids falls back to deduping.
        del token
        return False

    def byte_size(self) -> int:
        return 0

    # -- reading ----------------------------------------------------------------------

    def _read(self, max_records: int) -> list[Entry]:
        p = self.position
        count = max(1, max_records // ENTRY_RECORDS)
        try:
            reply = self.client.xreadgroup(
                p.group, p.consumer, {p.stream: ">"}, count=count, block=self.block_ms
            )
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            ensure_group(self.client, p.stream, p.group)  # Redis came back empty
            return []
        return _entries_of(reply)

    def _claim_if_due(self, max_records: int) -> list[Entry]:
        """Entries a dead (or stuck) worker left pending longer than ``claim_idle_ms``."""
        if time.monotonic() < self._claim_at:
            return []
        p = self.position
        try:
            reply = self.client.xautoclaim(
                p.stream, p.group, p.consumer, self.claim_idle_ms, "0-0",
                count=max(1, max_records // ENTRY_RECORDS),
            )  # fmt: skip
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc) and "no such key" not in str(exc):
                raise
            reply = [b"0-0", [], []]
        entries = [entry for entry in reply[1] if entry[1]]
        if not entries:  # nothing left to claim: look again a little later
            self._claim_at = time.monotonic() + max(0.2, self.claim_idle_ms / 4000)
        self.claimed += len(entries)
        return entries

    def _decode(self, entries: list[Entry]) -> tuple[list[dict[str, Any]], object]:
        records: list[dict[str, Any]] = []
        delivery = Delivery()
        corrupt = 0
        for entry_id, fields in entries:
            delivery.ids.append(entry_id)
            decoded, bad = decode_lines(fields.get(F_PAYLOAD, b""))
            records.extend(decoded)
            corrupt += bad
            producer, batch, index = (fields.get(k) for k in (F_PRODUCER, F_BATCH, F_INDEX))
            if producer and batch and index:
                key = done_key(self.position.stream, producer.decode())
                delivery.done.setdefault(key, []).append(batch + b":" + index)
        if corrupt:
            self.counters.add_corrupt(corrupt)
        return records, (delivery if delivery.ids else None)

    # -- acknowledging ----------------------------------------------------------------

    def _acknowledge_waiting(self) -> bool:
        """Acknowledge committed deliveries in order; false while Redis refuses."""
        while self._unacked:
            try:
                self._acknowledge(self._unacked[0])
            except redis.RedisError as exc:
                self._failed(exc)
                return False
            self._unacked.popleft()
        return True

    def _acknowledge(self, delivery: Delivery) -> None:
        """Tell producers, and acknowledge, in one ``MULTI`` after the commit.

        If Redis lost the stream meanwhile, ``XACK`` acknowledges nothing; the producers
        append the entries again and the dedupe path drops the stored rows.
        """
        p = self.position
        with self.client.pipeline(transaction=True) as pipe:
            for key, members in delivery.done.items():
                pipe.rpush(key, *members)
                pipe.expire(key, DONE_TTL_S)
            pipe.xack(p.stream, p.group, *delivery.ids)
            pipe.execute()

    # -- housekeeping -----------------------------------------------------------------

    def _maintain_if_due(self) -> None:
        now = time.monotonic()
        if now < self._trim_at:
            return
        self._trim_at = now + TRIM_INTERVAL_S
        p = self.position
        try:
            trim_acknowledged(self.client, p.stream)
            if now >= self._prune_at:
                self._prune_at = now + PRUNE_INTERVAL_S
                prune_consumers(self.client, p.stream, p.group, IDLE_CONSUMER_MS)
        except redis.RedisError as exc:
            self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        """Count a Redis failure and pause (capped back-off, cut short by ``stop``)."""
        self.counters.record_error(str(unavailable(self.position.redis_url, exc)))
        self._failures += 1
        self.stop.wait(min(2.0, 0.05 * 2**self._failures))


def _entries_of(reply: Any) -> list[Entry]:
    """The entries of an ``XREADGROUP`` reply on one stream (RESP2, as ``connect`` speaks)."""
    return list(reply[0][1]) if reply else []
