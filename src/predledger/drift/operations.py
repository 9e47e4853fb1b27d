"""Drift reports in one call: compute in a read transaction, store in a short write one.

Example:
    from predledger import Store
    from predledger.drift.operations import run_drift_report

    report = run_drift_report(Store("sqlite:///ledger.db"), model="churn", hours=24)
    print(report.drift_detected, report.drifted_features)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from predledger.drift.schemas import DriftReportCreate, DriftReportPublic
from predledger.drift.service import compute_drift_report, save_drift_report
from predledger.errors import InvalidRecordError
from predledger.registry.retry import run_in_transaction
from predledger.store.engine import Store


def drift_request(**fields: Any) -> DriftReportCreate:
    """Build a ``DriftReportCreate``, naming the first bad field in an ``InvalidRecordError``."""
    try:
        return DriftReportCreate(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "request"
        raise InvalidRecordError(field, first["msg"]) from None


def run_drift_report(
    store: Store,
    request: DriftReportCreate | None = None,
    *,
    now: datetime | None = None,
    **fields: Any,
) -> DriftReportPublic:
    """Compute a drift report and store it.

    Args:
        store: the database.
        request: what to compute; or give its fields as keyword arguments (``model=...``,
            ``hours=...``, ``mode=...``, ``overrides=...``).
        now: the moment the default window ends at.
        **fields: the fields of ``DriftReportCreate`` when ``request`` is not given.

    Returns:
        The stored report.

    Raises:
        NotFoundError: unknown model or version, or the version has no reference profile.
        InvalidRecordError: a field is invalid; the message names it.
    """
    wanted = request or drift_request(**fields)
    with store.transaction() as session:
        computed = compute_drift_report(session, wanted, now=now)
    return run_in_transaction(
        store,
        lambda session: save_drift_report(
            session, computed, actor=wanted.actor, note=wanted.note, now=now
        ),
        what=f"store the drift report of {wanted.model}",
    )
