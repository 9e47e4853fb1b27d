"""The service samples the host's metrics while it runs, and the interval comes from the env."""

from __future__ import annotations

import time

import httpx
import pytest

from predledger import Ledger
from predledger.api.app import create_app, system_metrics_interval_from_env
from predledger.errors import ConfigurationError
from predledger.metrics.queries import system_metric_series

from support.live_server import LiveServer


def test_a_running_service_fills_system_metrics_and_stops_with_the_app(database_url):
    ledger = Ledger(database_url, durability="memory")
    app = create_app(ledger, log_files=False, system_metrics_interval=0.1)
    with LiveServer(app) as server:
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        deadline = time.monotonic() + 20
        samples = []
        while not samples and time.monotonic() < deadline:
            ledger.flush(10)
            with ledger.store.transaction() as session:
                samples = system_metric_series(session, name="memory_percent")
            time.sleep(0.1)
    assert samples, "no memory_percent sample was written while the service ran"
    ledger.flush(10)
    with ledger.store.transaction() as session:
        after_shutdown = len(system_metric_series(session, name="memory_percent"))
    time.sleep(0.5)
    ledger.flush(10)
    with ledger.store.transaction() as session:
        assert len(system_metric_series(session, name="memory_percent")) == after_shutdown
    ledger.close()


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 15.0), ("2.5", 2.5), ("0", None), ("-1", None)]
)
def test_the_interval_comes_from_the_environment(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("PREDLEDGER_SYSTEM_METRICS_INTERVAL", raising=False)
    else:
        monkeypatch.setenv("PREDLEDGER_SYSTEM_METRICS_INTERVAL", value)
    assert system_metrics_interval_from_env() == expected


def test_a_bad_interval_names_the_variable_and_the_fix(monkeypatch):
    monkeypatch.setenv("PREDLEDGER_SYSTEM_METRICS_INTERVAL", "often")
    with pytest.raises(ConfigurationError, match=r"PREDLEDGER_SYSTEM_METRICS_INTERVAL='often'.*15"):
        system_metrics_interval_from_env()
