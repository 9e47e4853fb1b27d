"""What an instrumented app holds: its ledger, metrics, log files and resource sampler."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

import psutil

from predledger.api.metrics import ServiceMetrics
from predledger.ingest.ledger import Ledger


class ResourceSampler(threading.Thread):
    """Samples the process's CPU % and memory once a second for the request log.

    Sampling off the request path keeps each request's cost at two attribute reads.
    """

    def __init__(self, interval: float = 1.0) -> None:
        super().__init__(name="predledger-resources", daemon=True)
        self.interval = interval
        self.cpu_percent: float | None = None
        self.memory_mb: float | None = None
        self._process = psutil.Process(os.getpid())
        self._halt = threading.Event()
        self._process.cpu_percent(None)
        self._sample_memory()

    def _sample_memory(self) -> None:
        self.memory_mb = self._process.memory_info().rss / 1_048_576

    def run(self) -> None:
        """Sample until stopped."""
        while not self._halt.wait(self.interval):
            try:
                self.cpu_percent = self._process.cpu_percent(None)
                self._sample_memory()
            except psutil.Error:
                return

    def stop(self) -> None:
        """Stop sampling."""
        self._halt.set()


@dataclass
class ServiceState:
    """Everything predledger's middleware and routes need, kept on ``app.state.predledger``.

    Attributes:
        ledger: where predictions and requests are logged.
        metrics: the app's Prometheus registry.
        log_files: whether the ledger writes the rotating JSON log files for the app.
        resources: the CPU and memory sampler.
        close_ledger: close the ledger when the app shuts down.
    """

    ledger: Ledger
    metrics: ServiceMetrics
    log_files: bool
    resources: ResourceSampler
    close_ledger: bool = True
    started_at: float = field(default_factory=time.time)
    running: bool = False
    _closed: bool = False

    def start(self) -> None:
        """Start the background sampler (once; the middleware calls it if no lifespan ran)."""
        if self.running or self._closed:
            return
        self.running = True
        self.resources.start()

    def close(self) -> None:
        """Stop the sampler and close the ledger (if owned; else stop its log files)."""
        if self._closed:
            return
        self._closed = True
        self.resources.stop()
        if self.close_ledger:
            self.ledger.close()
        elif self.log_files:
            self.ledger.write_log_files(None)
