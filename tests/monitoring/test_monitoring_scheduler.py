"""The monitor runs drift reports and alert rules on its own thread, once per interval across
processes (leases), and inside the app factory's lifespan when asked to."""

from __future__ import annotations

from monitoring_data import log_traffic, reference_frame, traffic

from predledger.alerts import operations as alerts
from predledger.alerts.queries import list_alerts
from predledger.api import create_app
from predledger.drift.queries import list_drift_reports
from predledger.monitor import MonitorSettings, start_monitor
from predledger.monitor.scheduler import Monitor
from predledger.registry import register_model_version

from support.api_service import wait_until
from support.live_server import LiveServer

FAST = MonitorSettings(drift_interval=0.2, drift_hours=2, performance_interval=0,
                       alerts_interval=0.2, retention_interval=0, first_delay=0)  # fmt: skip


def _drifting(store, open_ledger):
    register_model_version(
        store, name="churn", version="1", reference=reference_frame(), stage="production"
    )
    ledger = open_ledger()
    log_traffic(ledger, "churn", "1", traffic(300, shifted=True))
    alerts.create_rule(store, name="drift", kind="drift")
    return ledger


def _open_alerts(store):
    with store.transaction() as session:
        return list_alerts(session, status="open")


def test_the_monitor_reports_drift_and_raises_one_alert(store, open_ledger):
    _drifting(store, open_ledger)
    monitor = start_monitor(store, FAST)
    try:
        wait_until(lambda: monitor.runs.get("alerts", 0) >= 3 and _open_alerts(store),
                   what="an alert from the monitor")  # fmt: skip
    finally:
        monitor.stop()
    assert not monitor.is_alive()
    assert monitor.last_errors == {}
    assert len(_open_alerts(store)) == 1
    with store.transaction() as session:
        reports = list_drift_reports(session, model="churn")
    assert reports
    assert reports[0].drift_detected
    assert reports[0].created_by == "predledger monitor"


def test_leases_run_each_task_once_across_monitors(store):
    first, second = Monitor(store, FAST, holder="a"), Monitor(store, FAST, holder="b")
    assert "skipped" not in first.run_once(force=False)["alerts"]
    assert second.run_once(force=False)["alerts"] == {
        "skipped": "another process holds this task's lease"
    }


def test_the_app_factory_runs_the_monitor_in_its_lifespan(store, open_ledger, tmp_path):
    ledger = _drifting(store, open_ledger)
    app = create_app(ledger, log_files=False, monitor=FAST)
    with LiveServer(app):
        wait_until(lambda: _open_alerts(store), what="an alert from the service's monitor")
