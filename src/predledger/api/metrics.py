"""Prometheus exposition: the ledger's counters, its queue depth and request latency.

Each app has its own registry, so several apps in one process (tests, an embedding
service beside predledger's own) never collide. With ``--workers N`` every worker keeps
its own figures; scrape each, or run one worker per container.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from predledger.ingest.ledger import Ledger
from predledger.ingest.stream_redis import StreamUnavailableError
from predledger.worker.status import stream_status

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_COUNTERS = (
    ("accepted", "Records log() accepted."),
    ("written", "Records committed to the database, replays included."),
    ("replayed", "Records recovered from the journals of processes that died."),
    ("retried", "Failed batch attempts that were retried."),
    ("dropped", "Records refused because the journal or queue was full."),
    ("rejected", "Records the database refused outright (kept in rejected.jsonl)."),
    ("corrupt", "Unreadable journal lines skipped during replay."),
)


class LedgerCollector(Collector):
    """Reads ``Ledger.stats()`` at scrape time, so counting costs nothing per record."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def collect(self) -> Iterator[Metric]:
        """Yield the counters and gauges of one snapshot."""
        stats = self.ledger.stats()
        for name, text in _COUNTERS:
            family = CounterMetricFamily(f"predledger_ledger_records_{name}", text)
            family.add_metric([], float(getattr(stats, name)))
            yield family
        yield GaugeMetricFamily(
            "predledger_ledger_queue_depth",
            "Accepted records not yet committed.",
            value=stats.queue_depth,
        )
        yield GaugeMetricFamily(
            "predledger_ledger_journal_bytes",
            "Bytes in this process's journal segments.",
            value=stats.journal_bytes,
        )
        yield GaugeMetricFamily(
            "predledger_ledger_write_failing",
            "1 while the last write to the database failed (records wait in the journal).",
            value=1.0 if stats.last_error else 0.0,
        )
        if self.ledger.stream is not None:
            yield from _stream_gauges(*self.ledger.stream)


_STREAM_GAUGES = (
    ("length", "Entries (of up to 100 records) the Redis Stream holds."),
    ("pending", "Entries the writers have read but not yet acknowledged."),
    ("backlog", "Entries not yet written to the database (pending + unread)."),
    ("consumers", "Writers known to the stream's consumer group."),
)


def _stream_gauges(redis_url: str, stream: str) -> Iterator[Metric]:
    """The shared ingest stream's depth, read from Redis at scrape time."""
    try:
        status = stream_status(redis_url, stream)
    except StreamUnavailableError:
        status = None
    yield GaugeMetricFamily(
        "predledger_stream_up", "1 when Redis answered the stream's status.",
        value=0.0 if status is None else 1.0,
    )  # fmt: skip
    if status is None:
        return
    for name, text in _STREAM_GAUGES:
        yield GaugeMetricFamily(f"predledger_stream_{name}", text, value=float(status[name]))
    yield GaugeMetricFamily(
        "predledger_stream_oldest_pending_seconds",
        "Age of the oldest entry read but not acknowledged (0 when none).",
        value=status["oldest_pending_seconds"] or 0.0,
    )


class ServiceMetrics:
    """The registry of one app and the request-latency histogram the middleware feeds."""

    def __init__(self, ledger: Ledger) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(LedgerCollector(ledger))
        ProcessCollector(registry=self.registry)
        self.request_seconds = Histogram(
            "predledger_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
            buckets=LATENCY_BUCKETS,
        )
        self._children: dict[tuple[str, str, int], Histogram] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        key = (method, route, status)
        child = self._children.get(key)
        if child is None:
            # labels() takes a lock and formats the key: look each series up once.
            child = self._children[key] = self.request_seconds.labels(method, route, str(status))
        child.observe(seconds)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
