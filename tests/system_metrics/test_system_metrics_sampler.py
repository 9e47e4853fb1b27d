"""The system metrics sampler writes samples through the ledger, and they read back by name."""

from __future__ import annotations

import threading

import pytest

from predledger import Ledger
from predledger.errors import ConfigurationError
from predledger.metrics.queries import system_metric_names, system_metric_series
from predledger.metrics.sampler import GpuReader, SystemMetricsSampler, collect_samples
from predledger.store import migrate
from predledger.store.engine import Store

EXPECTED = {
    "cpu_percent",
    "memory_percent",
    "memory_used_mb",
    "memory_available_mb",
    "process_memory_mb",
    "disk_percent",
    "disk_free_gb",
    "open_connections",
}


@pytest.fixture
def ledger(database_url):
    ledger = Ledger(database_url, durability="memory")
    yield ledger
    ledger.close()


def test_one_sample_of_each_metric_is_written(ledger, tmp_path):
    sampler = SystemMetricsSampler(ledger, disk_path=tmp_path, labels={"host": "test"})
    written = sampler.sample_once()
    assert ledger.flush(30)

    with ledger.store.transaction() as session:
        names = system_metric_names(session)
        memory = system_metric_series(session, name="memory_percent")
        disk = system_metric_series(session, name="disk_percent")
    assert set(names) >= EXPECTED
    assert written == len(names)
    assert all(not n.startswith("gpu_") for n in names) or GpuReader.open() is not None
    [sample] = memory
    assert 0 < sample.value <= 100
    assert sample.labels == {"host": "test"}
    assert disk[0].labels == {"host": "test", "path": str(tmp_path)}


def test_the_thread_samples_until_stopped(ledger):
    sampler = SystemMetricsSampler(ledger, interval=0.05)
    logged = threading.Event()
    original = sampler.sample_once

    def sample_once():
        count = original()
        if sampler.samples_logged >= 2 * count:
            logged.set()
        return count

    sampler.sample_once = sample_once
    sampler.start()
    assert logged.wait(60)
    sampler.stop()
    assert ledger.flush(30)
    with ledger.store.transaction() as session:
        cpu = system_metric_series(session, name="cpu_percent")
    assert len(cpu) >= 2


def test_readings_are_plain_numbers():
    samples = collect_samples()
    assert {s.name for s in samples} >= EXPECTED - {"open_connections"}
    assert all(isinstance(s.value, float) for s in samples)


def test_a_non_positive_interval_is_refused(ledger):
    with pytest.raises(ConfigurationError, match="interval must be positive"):
        SystemMetricsSampler(ledger, interval=0)


def test_series_without_samples_are_empty(database_url):
    store = Store(database_url)
    migrate.upgrade(store)
    with store.transaction() as session:
        assert system_metric_series(session, name="cpu_percent") == []
    store.dispose()
