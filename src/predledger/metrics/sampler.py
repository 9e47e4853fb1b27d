"""The host's CPU, memory, disk, connections and (when present) GPUs, sampled periodically.

Each sample goes through ``Ledger.log_metric`` as a system metric, so it takes the ledger's
write path (journal, batches) like everything else. Names written:

- ``cpu_percent``: CPU use of the whole host since the previous sample, in percent.
- ``memory_percent``, ``memory_used_mb``, ``memory_available_mb``: host memory.
- ``process_memory_mb``: resident memory of this process.
- ``disk_percent``, ``disk_free_gb``: the disk holding ``disk_path``.
- ``open_connections``: this process's open inet connections.
- ``gpu_utilization_percent``, ``gpu_memory_used_mb``, ``gpu_memory_percent``: per GPU
  (label ``gpu``), only when ``pynvml`` is importable and a GPU is present.

Usage::

    sampler = SystemMetricsSampler(ledger, interval=15)
    sampler.start()
    ...
    sampler.stop()
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psutil

from predledger.errors import ConfigurationError, LedgerClosedError
from predledger.ingest.ledger import Ledger

logger = logging.getLogger(__name__)
_MB = 1024 * 1024
_GB = 1024 * _MB


@dataclass(frozen=True)
class Sample:
    """One metric value and its labels."""

    name: str
    value: float
    labels: Mapping[str, str]


def collect_samples(
    *, disk_path: str = "/", process: psutil.Process | None = None, gpus: Any = None
) -> list[Sample]:
    """Read the host's metrics once.

    Args:
        disk_path: a path on the disk whose use is reported.
        process: the process whose memory and connections are reported (default: this one).
        gpus: a ``GpuReader`` (default: none).

    Returns:
        The samples; a metric the platform refuses to give is left out.
    """
    process = process or psutil.Process()
    memory = psutil.virtual_memory()
    samples = [
        Sample("cpu_percent", float(psutil.cpu_percent(interval=None)), {}),
        Sample("memory_percent", float(memory.percent), {}),
        Sample("memory_used_mb", memory.used / _MB, {}),
        Sample("memory_available_mb", memory.available / _MB, {}),
        Sample("process_memory_mb", process.memory_info().rss / _MB, {}),
    ]
    try:
        disk = psutil.disk_usage(disk_path)
        samples.append(Sample("disk_percent", float(disk.percent), {"path": disk_path}))
        samples.append(Sample("disk_free_gb", disk.free / _GB, {"path": disk_path}))
    except OSError as exc:
        logger.debug("no disk usage for %s: %s", disk_path, exc)
    connections = _connection_count(process)
    if connections is not None:
        samples.append(Sample("open_connections", float(connections), {}))
    if gpus is not None:
        samples.extend(gpus.read())
    return samples


def _connection_count(process: psutil.Process) -> int | None:
    # psutil 6 renamed Process.connections to net_connections.
    read = getattr(process, "net_connections", None) or process.connections
    try:
        return len(read(kind="inet"))
    except (psutil.AccessDenied, psutil.Error, OSError):
        return None


class GpuReader:
    """NVIDIA GPUs through ``pynvml``; ``open()`` returns ``None`` when there are none."""

    def __init__(self, nvml: Any, handles: list[Any]) -> None:
        self._nvml = nvml
        self._handles = handles

    @classmethod
    def open(cls) -> GpuReader | None:
        """A reader of every GPU, or ``None`` without ``pynvml``, a driver or a GPU."""
        try:
            nvml = importlib.import_module("pynvml")
            nvml.nvmlInit()
            count = int(nvml.nvmlDeviceGetCount())
        except Exception:  # pynvml missing, no driver, no GPU: GPU metrics are simply absent
            return None
        if count == 0:
            return None
        return cls(nvml, [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)])

    def read(self) -> list[Sample]:
        """One utilisation and memory sample per GPU."""
        samples = []
        for index, handle in enumerate(self._handles):
            labels = {"gpu": str(index)}
            try:
                use = self._nvml.nvmlDeviceGetUtilizationRates(handle)
                memory = self._nvml.nvmlDeviceGetMemoryInfo(handle)
            except Exception:  # a GPU that stops answering is skipped, not fatal
                continue
            samples += [
                Sample("gpu_utilization_percent", float(use.gpu), labels),
                Sample("gpu_memory_used_mb", memory.used / _MB, labels),
                Sample("gpu_memory_percent", 100.0 * memory.used / max(memory.total, 1), labels),
            ]
        return samples


class SystemMetricsSampler:
    """Logs the host's metrics through a ledger every ``interval`` seconds, on its own thread.

    Args:
        ledger: the ledger to log through.
        interval: seconds between samples.
        disk_path: a path on the disk to report.
        labels: labels added to every sample (e.g. ``{"host": "web-1"}``).
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        interval: float = 15.0,
        disk_path: str | os.PathLike[str] = "/",
        labels: Mapping[str, str] | None = None,
    ) -> None:
        if interval <= 0:
            raise ConfigurationError(f"interval must be positive, got {interval}")
        self.ledger = ledger
        self.interval = interval
        self.disk_path = os.fspath(disk_path)
        self.labels = dict(labels or {})
        self.samples_logged = 0
        self._process = psutil.Process()
        self._gpus = GpuReader.open()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        psutil.cpu_percent(interval=None)  # the first reading is meaningless: prime it

    def sample_once(self) -> int:
        """Read and log every metric now; returns how many were logged."""
        samples = collect_samples(disk_path=self.disk_path, process=self._process, gpus=self._gpus)
        for sample in samples:
            labels = {**self.labels, **sample.labels}
            self.ledger.log_metric(sample.name, sample.value, labels=labels or None)
        self.samples_logged += len(samples)
        return len(samples)

    def start(self) -> None:
        """Start sampling every ``interval`` seconds, the first sample after one interval."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._loop, name="predledger-system-metrics", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop sampling, waiting at most ``timeout`` seconds for the thread."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.sample_once()
            except LedgerClosedError:
                return
            except Exception:  # one failed sample must not end the series: log it, go on
                logger.exception("system metrics sampling failed; trying again next interval")
