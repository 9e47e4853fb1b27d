"""The monitor's tasks, one function each, for any scheduler (or cron: ``monitor --once``)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from predledger.alerts.operations import evaluate_and_notify
from predledger.drift.schemas import DriftReportCreate, DriftReportPublic
from predledger.drift.service import ComputedReport, compute_drift_report, save_drift_report
from predledger.monitor.settings import MonitorSettings
from predledger.registry.queries import list_active_versions
from predledger.registry.retry import run_in_transaction
from predledger.store.engine import Store

logger = logging.getLogger(__name__)
ACTOR = "predledger monitor"


def run_scheduled_drift_reports(
    store: Store, settings: MonitorSettings, *, now: datetime | None = None
) -> dict[str, Any]:
    """Report drift for every active version with a reference profile and data in the window.

    Returns:
        The ids of the reports stored and the versions skipped for want of data.
    """
    moment = now or datetime.now(UTC)
    with store.transaction() as session:
        versions = [v for v in list_active_versions(session) if v.has_reference_profile]
    stored: list[int] = []
    empty: list[str] = []
    for version in versions:
        request = DriftReportCreate(
            model=version.name, version=version.version, hours=settings.drift_hours,
            mode=settings.drift_mode,
            actor=ACTOR, note="scheduled",
        )  # fmt: skip
        with store.transaction() as session:
            computed = compute_drift_report(session, request, now=moment)
        if computed.current_size == 0:
            empty.append(f"{version.name}:{version.version}")
            continue
        stored.append(_save(store, computed, moment).id)
    return {"reports": stored, "no_data": empty}


def _save(store: Store, computed: ComputedReport, moment: datetime) -> DriftReportPublic:
    def work(session: Session) -> DriftReportPublic:
        return save_drift_report(session, computed, actor=ACTOR, note="scheduled", now=moment)

    return run_in_transaction(store, work, what=f"store the drift report of {computed.model}")


def run_alert_evaluation(
    store: Store, settings: MonitorSettings, *, now: datetime | None = None
) -> dict[str, Any]:
    """Evaluate the alert rules and send their webhooks."""
    result = evaluate_and_notify(
        store,
        now=now,
        allow_private_webhooks=settings.allow_private_webhooks,
        webhook_timeout=settings.webhook_timeout,
    )
    return result.model_dump(mode="json")


def run_retention(store: Store, settings: MonitorSettings) -> dict[str, Any]:
    """Mark failed the jobs whose process died, and apply ``PREDLEDGER_RETENTION`` if set."""
    del settings
    from predledger.jobs.service import fail_stale_jobs
    from predledger.ops.retention import RetentionPolicy, apply_retention

    with store.transaction(write=True) as session:
        stale = fail_stale_jobs(session)
    policy = RetentionPolicy.from_env()
    if not policy.max_age:
        return {"stale_jobs": stale, "skipped": "PREDLEDGER_RETENTION is not set"}
    report = apply_retention(store, policy)
    return {"stale_jobs": stale, "rows": report.total_rows}
